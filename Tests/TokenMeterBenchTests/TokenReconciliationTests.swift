import Foundation
import Testing
@testable import TokenMeterBench
import TokenMeterCLI
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects
import TokenMeterResults
import TokenMeterTelemetry
import TokenMeterTestSupport

@Suite struct TokenReconciliationTests {
    static func record(_ id: Int, prompt planned: Int, usage: (Int, Int)?, local: Int? = nil, finish: String = "length",
                       cached: Int? = nil) -> RequestRecord {
        var r = RequestRecord(id: id, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: planned, promptTokensExact: true, maxTokens: 16)
        r.sentNanoseconds = 1
        r.responseHeadNanoseconds = 2
        r.completedNanoseconds = 3
        r.finishReason = finish
        if let usage { r.usage = Usage(promptTokens: usage.0, completionTokens: usage.1, cachedPromptTokens: cached) }
        r.localOutputTokens = local
        return r
    }

    @Test func outputCountsThatDisagreeAreNamedPerRequestButAnEndOfSequenceTokenIsNot() {
        let records = [
            Self.record(0, prompt: 10, usage: (10, 16), local: 16),
            Self.record(1, prompt: 10, usage: (10, 16), local: 19),
            Self.record(2, prompt: 10, usage: (10, 9), local: 8, finish: "stop"),
            Self.record(3, prompt: 10, usage: (10, 16), local: 15),
        ]
        let t = TokenReconciliation(records: records, localPrompts: true, server: nil)
        #expect(t.requests == 4 && t.usageOutputTokens == 57 && t.localOutputTokens == 58)
        #expect(t.outputMismatches == 2)
        #expect(t.discrepancies.map(\.id) == [1, 3])  // largest first
        #expect(t.discrepancies.first == RequestTokenDiscrepancy(id: 1, kind: "output", usage: 16, local: 19))
        #expect(t.warnings.count == 1 && t.warnings[0].contains("2 of 4 requests differ"))
        #expect(t.findings.contains { $0.contains("end-of-sequence") })
        #expect(t.promptMismatches == 0 && t.promptOffsetPerRequest == 0)
    }

    @Test func aConstantPromptOffsetIsATemplateAndOnlyDeviationsFromItAreDiscrepancies() {
        var records = (0..<5).map { Self.record($0, prompt: 20 + $0, usage: (20 + $0 + 7, 16), local: 16) }
        var t = TokenReconciliation(records: records, localPrompts: true, server: nil)
        #expect(t.promptOffsetPerRequest == 7 && t.promptMismatches == 0 && t.warnings.isEmpty)
        #expect(t.findings.contains { $0.contains("7 more prompt tokens per request") })
        records[2].usage?.promptTokens += 3
        t = TokenReconciliation(records: records, localPrompts: true, server: nil)
        #expect(t.promptMismatches == 1)
        #expect(t.discrepancies == [RequestTokenDiscrepancy(id: 2, kind: "prompt", usage: 32, local: 29)])
        #expect(t.warnings.count == 1 && t.warnings[0].contains("beyond the usual offset of 7"))
        // Without local prompt counts the prompt leg is not judged.
        t = TokenReconciliation(records: records, localPrompts: false, server: nil)
        #expect(t.localPromptTokens == nil && t.promptMismatches == 0 && t.warnings.isEmpty)
    }

    @Test func cachedPrefixTokensAreFlaggedAndExplainAServerCounterThatLeavesThemOut() throws {
        let records = [Self.record(0, prompt: 100, usage: (100, 10), cached: 64), Self.record(1, prompt: 100, usage: (100, 10))]
        func scrape(_ t: UInt64, _ prompt: Double, _ generated: Double) throws -> MetricsScrape {
            MetricsScrape(timeNanoseconds: t, exposition: try PrometheusExposition(parsing:
                "vllm:prompt_tokens_total \(prompt)\nvllm:generation_tokens_total \(generated)"))
        }
        let server = ServerMetricsSummary(start: try scrape(0, 0, 0), end: try scrape(9, 136, 20), samples: [],
                                          window: MeasurementWindow(startNanoseconds: 1, endNanoseconds: 8), records: records)
        let t = TokenReconciliation(records: records, localPrompts: false, server: server)
        #expect(t.cachedRequests == 1 && t.cachedPromptTokens == 64)
        #expect(t.findings.contains { $0.contains("64 prompt tokens served from the prefix cache") })
        #expect(t.warnings.count == 1)
        #expect(t.warnings[0].contains("136 prompt tokens") && t.warnings[0].contains("leave out the 64 prefix-cached tokens"))
        #expect(t.serverOutputTokens == 20)
    }

    @Test func aServerThatCountsItsCachedPromptTokensApartAgreesOnceTheyAreAdded() throws {
        let records = [Self.record(0, prompt: 100, usage: (100, 10), cached: 60), Self.record(1, prompt: 100, usage: (100, 10))]
        func scrape(_ t: UInt64, _ prompt: Double, _ cached: Double, _ generated: Double) throws -> MetricsScrape {
            MetricsScrape(timeNanoseconds: t, exposition: try PrometheusExposition(parsing:
                "llamacpp:prompt_tokens_total \(prompt)\nllamacpp:prompt_tokens_cached_total \(cached)\nllamacpp:tokens_predicted_total \(generated)"))
        }
        let window = MeasurementWindow(startNanoseconds: 1, endNanoseconds: 8)
        let agreeing = ServerMetricsSummary(start: try scrape(0, 500, 40, 7), end: try scrape(9, 640, 100, 27), samples: [], window: window, records: records)
        #expect(agreeing.serverCachedPromptTokens == 60 && agreeing.serverPromptTokens == 140)
        let t = TokenReconciliation(records: records, localPrompts: false, server: agreeing)
        #expect(t.warnings.isEmpty, "\(t.warnings)")
        #expect(t.findings.contains { $0.contains("leaves out the 60 prompt tokens it served from its cache") })
        // When they still do not add up, it is a warning.
        let short = ServerMetricsSummary(start: try scrape(0, 500, 40, 7), end: try scrape(9, 600, 60, 27), samples: [], window: window, records: records)
        #expect(TokenReconciliation(records: records, localPrompts: false, server: short).warnings.contains { $0.contains("100 prompt tokens") })
    }

    @Test func usageRepeatedPerChunkIsFlaggedAndUsageThatGoesDownIsAWarning() {
        var repeated = Self.record(0, prompt: 10, usage: (10, 16))
        repeated.usageFrames = 16
        var deltas = Self.record(1, prompt: 10, usage: (10, 1))
        deltas.usageFrames = 16
        deltas.usageDecreased = true
        let t = TokenReconciliation(records: [repeated, deltas], localPrompts: false, server: nil)
        #expect(t.usageRepeatedRequests == 2 && t.usageDecreasedRequests == 1)
        #expect(t.findings.contains { $0.contains("running totals, so the last one is used") })
        #expect(t.warnings.count == 1 && t.warnings[0].contains("went down"))
    }

    @Test func theInterpreterCountsUsageFramesAndNoticesOnesThatGoDown() {
        func run(_ counts: [Int]) -> RequestRecord {
            var events: [RawEvent] = counts.enumerated().map { i, c in
                RawEvent(timeNanoseconds: UInt64(i + 1), readIndex: i, data: Array(
                    #"{"choices":[{"index":0,"text":" w"}],"usage":{"prompt_tokens":3,"completion_tokens":\#(c),"total_tokens":\#(c + 3)}}"#.utf8))
            }
            events.append(RawEvent(timeNanoseconds: 99, readIndex: 99, data: Array("[DONE]".utf8)))
            var raw = RawResponse()
            raw.status = 200
            raw.events = events
            raw.sentNanoseconds = 0
            raw.headNanoseconds = 1
            raw.endNanoseconds = 100
            var record = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 3, promptTokensExact: true, maxTokens: 3)
            ResponseInterpreter.apply(raw, streamed: true, to: &record)
            return record
        }
        let cumulative = run([1, 2, 3])
        #expect(cumulative.usageFrames == 3 && cumulative.usageDecreased == nil && cumulative.outputTokens == 3)
        let perChunk = run([1, 1, 1])
        #expect(perChunk.usageFrames == 3 && perChunk.usageDecreased == nil)
        let down = run([2, 1])
        #expect(down.usageDecreased == true)
        #expect(run([3]).usageFrames == nil)
    }
}

/// `bench --tokenizer` against the reference target: exact prompt lengths and local output counts, reconciled three ways.
@Suite struct LocalTokenizerSessionTests {
    @Test func aRealGPT2TokenizerAgreesWithUsageAndTheServersCountersOnEveryRequest() async throws {
        let folder = try #require(TokenizerFixtures.real, "TOKENMETER_TOKENIZER_FIXTURES is not set: run scripts/tokenizer-fixtures (scripts/test does)")
        let path = folder.appendingPathComponent("gpt-2/tokenizer.json").path
        let (result, directory) = try await runSession("concurrency: [2]\nrequests: 12\nisl: 40\nosl: 12\nscrape-interval: 50ms\ntokenizer: \(path)")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.provenance.promptLengthSource == "local tokenizer (tokenizer.json)")
        let point = try #require(result.points.first)
        let t = try #require(point.tokens)
        let timeline = try TimelineReader.read(path: directory.appendingPathComponent("timeline.jsonl").path)
        #expect(t.requests == timeline[0].records.filter(\.succeeded).count)  // warm-up included: the server counted those too
        #expect(t.localOutputTokens == t.usageOutputTokens && t.usageOutputTokens == 12 * t.requests)
        #expect(t.localPromptTokens == t.usagePromptTokens && t.promptOffsetPerRequest == 0)
        #expect(t.serverOutputTokens == Double(t.usageOutputTokens) && t.serverPromptTokens == Double(t.usagePromptTokens))
        #expect(t.outputMismatches == 0 && t.promptMismatches == 0 && t.warnings.isEmpty, "\(t.warnings)")
        #expect(t.usageRepeatedRequests == t.requests)  // the reference target sends continuous usage
        // Every record of the timeline carries its local count.
        #expect(timeline[0].records.allSatisfy { $0.localOutputTokens == $0.usage?.completionTokens })
    }

    @Test func aTokenizerThatDoesNotMatchTheServerShowsUpAsDiscrepancies() async throws {
        let path = TokenizerFixtures.small.appendingPathComponent("bytelevel-bpe").path
        let (result, directory) = try await runSession("concurrency: [2]\nrequests: 6\nisl: 40\nosl: 12\ntokenizer: \(path)\napi: completions")
        defer { try? FileManager.default.removeItem(at: directory) }
        let point = try #require(result.points.first)
        let t = try #require(point.tokens)
        #expect(t.outputMismatches > 0)
        #expect(t.discrepancies.contains { $0.kind == "output" })
        #expect(point.warnings.contains { $0.contains("the local tokenizer counts") })
    }

    @Test func aBrokenTokenizerFileIsAClearConfigError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-tokenizer-\(UUID().uuidString).json")
        try Data(#"{"model": {"type": "WordLevel", "vocab": {}}}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = try #require(throws: ConfigError.self) { try BenchArguments.plan(["--url", "http://127.0.0.1:9/v1", "--tokenizer", file.path]) }
        #expect(error.field == "tokenizer" && error.message.contains("WordLevel"))
        let missing = try #require(throws: ConfigError.self) {
            try BenchArguments.plan(["--url", "http://127.0.0.1:9/v1", "--tokenizer", "/nonexistent/tokenizer.json"])
        }
        #expect(missing.message.contains("cannot read"))
    }
}
