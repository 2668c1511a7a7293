import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterResults
import TokenMeterTestSupport

/// `tokenmeter bench` against a real inference engine: llama.cpp's llama-server with a tiny random-weight model carrying
/// Qwen2's real vocabulary (scripts/llama-server builds it from PyPI). Its quirks are cases tokenmeter must pass without
/// losing a request: it closes the connection after each streamed response while advertising keep-alive, puts usage in the
/// last content chunk for completions and in a separate final chunk for chat.
@Suite(.serialized) struct LlamaServerTests {
    /// Runs bench with `--json` against a fresh server and returns the result and the run's timeline.
    func bench(_ arguments: [String], slots: Int = 4, contextPerSlot: Int = 2048, serverArguments: [String] = [],
               withoutV1: Bool = false) async throws -> (RunResult, [TimelineReader.Point], LlamaServer) {
        let server = try await LlamaServer.start(slots: slots, contextPerSlot: contextPerSlot, extraArguments: serverArguments)
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = withoutV1 ? String(server.baseURL.dropLast(3)) : server.baseURL
        let r = try await tokenmeter(["bench", "--url", url, "--model", server.model, "--json", "--quiet", "--no-store",
                                      "--output", dir.path, "--read-timeout", "60s"] + arguments, timeout: 300)
        await server.stop()
        #expect(r.status == 0, "\(r.stderr)")
        let result = try JSONDecoder().decode(RunResult.self, from: Data(r.stdout.utf8))
        let timeline = try TimelineReader.read(path: dir.appendingPathComponent("timeline.jsonl").path)
        return (result, timeline, server)
    }

    @Test func chatSessionsStayWithinTheServersContext() async throws {
        let (result, timeline, _) = try await bench(["--workload", "chat", "--sessions", "8", "--turns", "3", "--session-count", "8",
                                                     "--speedup", "max", "--context-limit", "12000", "--api", "chat"],
                                                    contextPerSlot: 16384)
        #expect(timeline[0].records.count == 24 && timeline[0].records.allSatisfy(\.succeeded))
        let summary = try #require(result.points.first?.conversations)
        #expect(summary.completed == 8 && summary.turns.count == 3)
        let largest = timeline[0].records.map { $0.usage?.promptTokens ?? 0 }.max() ?? 0
        #expect(largest <= 16384, "the context limit kept every request in a slot")
    }

    @Test func anAgenticTaskOnALongContextServer() async throws {
        let (result, timeline, _) = try await bench(["--workload", "agentic-coding", "--sessions", "2", "--turns", "1", "--session-count", "2",
                                                     "--speedup", "max", "--api", "chat", "--context-limit", "60000"],
                                                    slots: 2, contextPerSlot: 65536)
        let summary = try #require(result.points.first?.conversations)
        #expect(summary.kind == "task" && summary.completed == 2, "\(result.points.first?.warnings ?? [])")
        #expect(!timeline[0].records.isEmpty && timeline[0].records.allSatisfy(\.succeeded))
        // Every call after a task's first resends its context, which the server's slot still holds.
        let cached = timeline[0].records.filter { $0.call! > 0 }.map { $0.usage?.cachedPromptTokens ?? 0 }
        #expect(!cached.isEmpty && cached.allSatisfy { $0 > 14000 }, "\(cached)")
    }

    @Test func aMooncakeAndAWekaTraceReplayAgainstARealEngine() async throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TokenMeterWorkloadsTests/Fixtures")
        let (mooncake, moonTimeline, _) = try await bench(["--trace", fixtures.appendingPathComponent("mooncake.jsonl").path,
                                                           "--trace-format", "mooncake", "--speedup", "10"])
        let records = moonTimeline[0].records.sorted { $0.id < $1.id }
        #expect(records.count == 4 && records.allSatisfy(\.succeeded))
        #expect(records.map { Double($0.scheduledNanoseconds - records[0].scheduledNanoseconds) / 1e9 } == [0, 0, 0.1, 0.3])
        #expect(mooncake.points[0].trace?.tokenReuse != nil)
        let (weka, wekaTimeline, _) = try await bench(["--trace", fixtures.appendingPathComponent("weka").path, "--trace-format", "weka",
                                                       "--speedup", "10"])
        #expect(wekaTimeline[0].records.count == 6 && wekaTimeline[0].records.allSatisfy(\.succeeded))
        #expect(weka.points[0].conversations?.completed == 2)
    }

    @Test func multiTurnSessionsShowTheServersOwnCachedTokens() async throws {
        let workload = scratch().appendingPathExtension("yaml")
        try """
            name: tiny-chat
            kind: session
            system: 40
            steps:
              - loop:
                  count: 3
                  steps:
                    - user: 20
                    - llm: 8
            """.write(to: workload, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: workload) }
        let (result, timeline, _) = try await bench(["--workload", workload.path, "--sessions", "2", "--session-count", "2", "--api", "chat"])
        let records = timeline[0].records
        #expect(records.count == 6 && records.allSatisfy(\.succeeded))
        let summary = try #require(result.points.first?.conversations)
        #expect(summary.completed == 2 && summary.turns.count == 3)
        #expect(summary.turns[2].meanPromptTokens > summary.turns[0].meanPromptTokens, "each turn resends the history")
        if records.contains(where: { $0.usage?.cachedPromptTokens != nil }) {
            // This llama.cpp reports its cached tokens: every later turn finds the earlier ones in its slot.
            #expect(records.filter { $0.call! > 0 }.allSatisfy { ($0.usage?.cachedPromptTokens ?? 0) > 0 })
            #expect((summary.turns[2].meanCachedTokens ?? 0) >= summary.turns[0].meanPromptTokens)
        } else {
            #expect(result.points[0].warnings.contains { $0.hasPrefix("the server reported no cached prompt tokens") })
        }
    }

    @Test func aStreamedCompletionsSweepLosesNoRequestAndCountsTokensThreeWays() async throws {
        let tokenizer = try #require(ProcessInfo.processInfo.environment["TOKENMETER_LLAMA_TOKENIZER"], "run scripts/llama-server (scripts/test does)")
        let (result, timeline, _) = try await bench(["--concurrency", "1,4", "--requests", "16", "--isl", "48", "--osl", "16",
                                                     "--tokenizer", tokenizer, "--scrape-interval", "200ms"])
        #expect(result.provenance.serverModels.contains("tiny-qwen2"))
        #expect(result.points.count == 2 && !result.partial)
        for (point, records) in zip(result.points, timeline) {
            // Every request once, none lost to the connection the server closes after each stream.
            #expect(point.metrics.requestsFailed == 0, "\(point.metrics.errorsByKind)")
            #expect(point.metrics.requestsSucceeded == 16)
            #expect(records.records.allSatisfy { $0.succeeded })
            // ignore_eos: exactly max_tokens, and usage from the server for every request.
            #expect(records.records.allSatisfy { $0.usage?.completionTokens == 16 && $0.finishReason == "length" })
            let t = try #require(point.tokens)
            // The local tokenizer is the server's own vocabulary: prompt counts agree request by request.
            #expect(t.promptMismatches == 0, "\(t.discrepancies)")
            #expect(t.localPromptTokens != nil && t.localOutputTokens != nil)
            // The server's own counter of generated tokens agrees with usage over the point.
            let server = try #require(t.serverOutputTokens)
            #expect(server == Double(t.usageOutputTokens), "server \(server), usage \(t.usageOutputTokens)")
            #expect((point.serverMetrics?.scrapes ?? 0) > 0)
        }
        // At concurrency 1 a 16-token stream of the tiny model can finish between two scrapes, so a point may see no request
        // running; over the sweep the gauge must have seen one.
        #expect(result.points.contains { ($0.serverMetrics?.runningMax ?? 0) >= 1 })
        // Prompt lengths were exact (local tokenizer) and match what the server counted for the prompt.
        let requests = timeline.flatMap(\.records)
        #expect(requests.allSatisfy { $0.promptTokensExact })
        let offsets = Set(requests.map { ($0.usage?.promptTokens ?? -1) - $0.promptTokensPlanned })
        #expect(offsets.count == 1, "\(offsets)")
    }

    @Test func chatStreamsItsUsageInAFinalChunkAndTheTemplateIsAConstantPromptOffset() async throws {
        let tokenizer = try #require(ProcessInfo.processInfo.environment["TOKENMETER_LLAMA_TOKENIZER"], "run scripts/llama-server (scripts/test does)")
        let (result, timeline, _) = try await bench(["--api", "chat", "--concurrency", "2", "--requests", "8", "--isl", "32", "--osl", "12",
                                                     "--tokenizer", tokenizer, "--scrape-interval", "200ms"])
        let point = try #require(result.points.first)
        #expect(point.metrics.requestsFailed == 0 && point.metrics.requestsSucceeded == 8)
        #expect(timeline[0].records.allSatisfy { $0.usage?.completionTokens == 12 })
        let t = try #require(point.tokens)
        #expect(t.promptMismatches == 0, "\(t.discrepancies)")
        #expect((t.promptOffsetPerRequest ?? 0) > 0)  // the chat template's tokens
        #expect(t.findings.contains { $0.contains("chat template") })
        // The template's shared system prompt is served from llama.cpp's prompt cache, which usage counts as input and the
        // server counts apart from its prompt counter: together they agree, and that is a finding, not a warning.
        #expect(t.cachedPromptTokens > 0)
        #expect(point.serverMetrics?.serverCachedPromptTokens ?? 0 > 0)
        #expect(t.findings.contains { $0.contains("which it counts apart; with them it agrees with usage") }, "\(t.findings) \(t.warnings)")
        #expect(!t.warnings.contains { $0.contains("prompt tokens") }, "\(t.warnings)")
    }

    /// llama.cpp serves Anthropic's `/v1/messages` and OpenAI's `/v1/responses` by converting to chat: the same tokens, counted
    /// by the same template, in the other dialects' events and usage. Anthropic's base URL is given without `/v1`, as its SDK
    /// takes it.
    @Test(arguments: ["anthropic", "responses"])
    func theMessagesAndResponsesDialectsReconcileTheirTokens(_ api: String) async throws {
        let tokenizer = try #require(ProcessInfo.processInfo.environment["TOKENMETER_LLAMA_TOKENIZER"], "run scripts/llama-server (scripts/test does)")
        let (result, timeline, _) = try await bench(["--api", api, "--concurrency", "2", "--requests", "8", "--isl", "32", "--osl", "12",
                                                     "--tokenizer", tokenizer, "--scrape-interval", "200ms"], withoutV1: api == "anthropic")
        let point = try #require(result.points.first)
        #expect(point.metrics.requestsFailed == 0 && point.metrics.requestsSucceeded == 8, "\(api): \(point.metrics.errorsByKind)")
        let records = timeline[0].records
        // This llama.cpp leaves out message_start when the first token is part of a UTF-8 character (the random tiny model
        // emits such tokens): that answer has no usage and no id; its output is counted from its events, which can hold
        // several held-back tokens, so it is flagged as counted rather than trusted.
        let withUsage = records.filter { $0.usage != nil }
        let counted = records.filter { $0.usage == nil }
        #expect(withUsage.count >= records.count / 2 && withUsage.allSatisfy { $0.usage?.completionTokens == 12 && $0.responseID != nil }, "\(api)")
        #expect(counted.allSatisfy { (1...12).contains($0.outputTokens) } && records.allSatisfy { !$0.joinedContent.isEmpty }, "\(api)")
        #expect(point.metrics.requestsWithoutUsage == counted.filter { $0.phase == .measured }.count)
        let t = try #require(point.tokens)
        #expect(t.promptMismatches == 0, "\(api): \(t.discrepancies)")
        #expect((t.promptOffsetPerRequest ?? 0) > 0, "\(api): the chat template's tokens, as in chat")
        let server = try #require(t.serverOutputTokens)
        #expect(server == Double(12 * records.count), "\(api): the server generated what every request asked for")
        #expect(Double(t.usageOutputTokens) == Double(12 * withUsage.count), "\(api): usage agrees with the server where it was given")
    }

    /// Embeddings from a server started for them: no output tokens, the input counted exactly, latency per request.
    @Test func embeddingsOnAnEmbeddingServer() async throws {
        let tokenizer = try #require(ProcessInfo.processInfo.environment["TOKENMETER_LLAMA_TOKENIZER"], "run scripts/llama-server (scripts/test does)")
        let (result, timeline, _) = try await bench(["--api", "embeddings", "--concurrency", "2", "--requests", "8", "--isl", "32",
                                                     "--tokenizer", tokenizer], serverArguments: ["--embeddings", "--pooling", "mean"])
        let point = try #require(result.points.first)
        #expect(point.metrics.requestsFailed == 0 && point.metrics.requestsSucceeded == 8, "\(point.metrics.errorsByKind)")
        let records = timeline[0].records.filter { $0.phase == .measured }
        #expect(records.allSatisfy { $0.outputTokens == 0 && $0.usage != nil && !$0.streamed })
        let offsets = Set(records.map { ($0.usage?.promptTokens ?? -1) - $0.promptTokensPlanned })
        #expect(offsets.count == 1 && offsets.first! >= 0 && offsets.first! <= 2, "the server counts the text (and its special tokens): \(offsets)")
        #expect(point.metrics.inputTokensPerSecond > 0 && (point.metrics.e2eMs?.p50 ?? 0) > 0)
    }

    @Test func withoutALocalTokenizerTheServersTokenizeGivesExactPromptLengths() async throws {
        let (result, timeline, _) = try await bench(["--concurrency", "2", "--requests", "6", "--isl", "40", "--osl", "8"])
        #expect(result.provenance.promptLengthSource == "server /tokenize")
        let records = timeline[0].records.filter { $0.phase == .measured }
        #expect(records.count == 6 && records.allSatisfy { $0.promptTokensExact })
        let offsets = Set(records.map { ($0.usage?.promptTokens ?? -1) - $0.promptTokensPlanned })
        #expect(offsets.count == 1, "\(offsets)")
        #expect(records.allSatisfy { $0.promptTokensPlanned == 40 })
    }

    @Test func aNonStreamedRunAndManyShortStreamsOverClosedConnections() async throws {
        let (whole, _, _) = try await bench(["--no-stream", "--concurrency", "2", "--requests", "6", "--isl", "16", "--osl", "8"])
        #expect(whole.points[0].metrics.requestsFailed == 0 && whole.points[0].metrics.requestsSucceeded == 6)
        // Forty streams at eight in flight: each one ends with the server closing its connection.
        let (many, timeline, _) = try await bench(["--concurrency", "8", "--requests", "40", "--isl", "16", "--osl", "4"], slots: 8)
        #expect(many.points[0].metrics.requestsFailed == 0, "\(many.points[0].metrics.errorsByKind)")
        #expect(many.points[0].metrics.requestsSucceeded == 40)
        #expect(timeline[0].records.allSatisfy { $0.succeeded && $0.usage?.completionTokens == 4 })
    }
}
