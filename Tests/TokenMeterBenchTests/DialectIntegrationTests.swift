import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterDialects
import TokenMeterResults
import TokenMeterTarget

/// Every dialect end to end against the reference target, with its ground truth: reasoning and answer apart, tool calls,
/// cache reads and writes, sessions, rate limits and retries.
@Suite(.serialized) struct DialectIntegrationTests {
    static func target(reasoning: Int = 3, rateLimit: RateLimit? = nil) -> TargetConfiguration {
        TargetConfiguration(timing: quickSteps, recordGroundTruth: true, recordPrompts: true, reasoningTokens: reasoning, rateLimit: rateLimit)
    }

    @Test(arguments: [APIKind.chat, .completions, .responses, .anthropic], [true, false])
    func reasoningThenAnswerInEveryDialect(_ api: APIKind, _ stream: Bool) async throws {
        let (result, timeline, truth) = try await runAgainstLoggingTarget("""
            api: \(api.rawValue)
            stream: \(stream)
            concurrency: [4]
            requests: 12
            isl: 32
            osl: 8
            """, configuration: Self.target())
        let records = timeline[0].records.filter { $0.phase == .measured }
        let reasoning = api == .completions ? 0 : 3  // completions have no reasoning field: it is all text
        #expect(records.count == 12 && records.allSatisfy(\.succeeded), "\(api) stream \(stream)")
        for r in records {
            let logged = try #require(truth["p0-\(r.id)"])
            #expect(r.outputTokens == 8 && r.reasoningTokens == reasoning && r.answerTokens == 8 - reasoning, "\(api) request \(r.id)")
            #expect(r.usage?.promptTokens == logged.promptTokens, "\(api): the usage's input is the target's")
            #expect(r.events.map(\.reasoning).joined().split(separator: " ").count == reasoning)
            #expect(r.joinedContent.split(separator: " ").count == 8 - reasoning)
            #expect(r.responseID != nil, "\(api): the server's id is kept")
            if stream, reasoning > 0, let latency = RequestLatency(r) {
                // After the reasoning in the stream's order; in time at or after it, since the events of one read share a
                // timestamp (under load the last reasoning token and the first answer token can arrive in one read).
                let firstAnswer = try #require(r.events.firstIndex { !$0.content.isEmpty })
                let lastReasoning = try #require(r.events.lastIndex { !$0.reasoning.isEmpty })
                #expect(firstAnswer > lastReasoning, "\(api): the first answer token comes after the reasoning")
                #expect(try #require(latency.ttfoMs) >= latency.ttftMs, "\(api)")
            }
        }
        let m = try #require(result.points.first).metrics
        #expect(m.reasoningTokens == 12 * reasoning && m.outputTokensSucceeded == 96)
    }

    @Test(arguments: [APIKind.chat, .responses, .anthropic])
    func toolCallArgumentsStream(_ api: APIKind) async throws {
        let (_, timeline, _) = try await runAgainstLoggingTarget("""
            api: \(api.rawValue)
            concurrency: [2]
            requests: 4
            isl: 16
            osl: 6
            extra-body: '{"tools": [{"name": "lookup", "input_schema": {"type": "object"}}]}'
            """, configuration: Self.target(reasoning: 2))
        for r in timeline[0].records where r.phase == .measured {
            #expect(r.succeeded && r.finishReason == "tool_calls", "\(api)")
            let arguments = r.events.map(\.toolArguments).joined()
            let json = try JSONValue.parse(Array(arguments.utf8))
            #expect(json["query"]?.stringValue?.split(separator: " ").count == 4, "\(api): \(arguments)")
            #expect(r.events.filter { !$0.toolArguments.isEmpty }.count == 4, "\(api): one fragment per token")
            #expect(r.reasoningTokens == 2 && r.answerTokens == 4)
        }
    }

    @Test func anthropicCacheBreakpointsWriteThenRead() async throws {
        let (result, timeline, truth) = try await runAgainstLoggingTarget("""
            api: anthropic
            cache-ttl: 1h
            workload: chat
            turns: 3
            sessions: [1]
            session-count: 2
            speedup: "1000"
            osl: 8
            """, configuration: Self.target(reasoning: 0))
        let records = timeline[0].records.sorted { $0.id < $1.id }
        #expect(records.count == 6 && records.allSatisfy(\.succeeded))
        for r in records {
            let usage = try #require(r.usage)
            let logged = try #require(truth["p0-\(r.id)"])
            #expect(usage.promptTokens == logged.promptTokens, "input + cache writes + cache reads is the whole prompt")
            #expect(usage.cachedPromptTokens == logged.cachedTokens)
            #expect(usage.cacheWrite1hTokens == usage.cacheWriteTokens && usage.cacheWrite5mTokens == 0, "a 1h breakpoint writes 1h tokens")
        }
        for (_, calls) in conversations(records) {
            #expect((calls[0].usage?.cacheWriteTokens ?? 0) > 0, "the first turn writes its prompt")
            #expect(calls.dropFirst().allSatisfy { ($0.usage?.cachedPromptTokens ?? 0) > 0 }, "later turns read it")
        }
        #expect((result.points[0].metrics.cacheWriteTokens ?? 0) > 0)
    }

    @Test(arguments: [(APIKind.anthropic, false), (.responses, false), (.responses, true)])
    func sessionsInEveryChatDialect(_ api: APIKind, _ chained: Bool) async throws {
        let (_, timeline, truth) = try await runAgainstLoggingTarget("""
            api: \(api.rawValue)
            chain-responses: \(chained)
            workload: chat
            turns: 3
            sessions: [2]
            session-count: 2
            speedup: "1000"
            osl: 8
            """, configuration: Self.target(reasoning: 0))
        let records = timeline[0].records
        #expect(records.count == 6 && records.allSatisfy(\.succeeded), "\(api) chained \(chained)")
        for (_, calls) in conversations(records) {
            for k in 1..<calls.count {
                let previous = try #require(truth["p0-\(calls[k - 1].id)"]?.prompt)
                let prompt = try #require(truth["p0-\(calls[k].id)"]?.prompt)
                #expect(prompt.contains(previous + "\n" + calls[k - 1].joinedContent), "\(api): turn \(k) holds the turn before and its answer")
                #expect(calls[k].usage!.promptTokens > calls[k - 1].usage!.promptTokens + 7)
            }
        }
    }

    @Test func rateLimitsAreTheirOwnClassAndRetriesHonourRetryAfter() async throws {
        let limit = RateLimit(requestsPerMinute: 1200, burst: 2)
        let (refused, timeline, _) = try await runAgainstLoggingTarget("api: anthropic\nconcurrency: [6]\nrequests: 18\nisl: 16\nosl: 4",
                                                                       configuration: Self.target(reasoning: 0, rateLimit: limit))
        let m = try #require(refused.points.first).metrics
        #expect((m.errorsByKind["rate_limited"] ?? 0) > 0 && m.errorsByKind.keys.allSatisfy { $0 == "rate_limited" })
        let limited = try #require(timeline[0].records.first { $0.failure?.kind == .rateLimited })
        #expect(limited.rateLimit?["retry-after"] != nil && limited.rateLimit?["anthropic-ratelimit-requests-remaining"] == "0")
        #expect(timeline[0].records.filter(\.succeeded).allSatisfy { $0.rateLimit?["anthropic-ratelimit-requests-limit"] == "1200" })

        let (retried, retriedTimeline, _) = try await runAgainstLoggingTarget("api: chat\nconcurrency: [4]\nrequests: 18\nisl: 16\nosl: 4\nretries: 40",
                                                                              configuration: Self.target(reasoning: 0, rateLimit: limit))
        let r = try #require(retried.points.first).metrics
        #expect(r.requestsSucceeded == 18 && r.requestsFailed == 0, "every refused request got through on a later attempt")
        #expect((r.retriedRequests ?? 0) > 0 && (r.retryAttempts ?? 0) >= (r.retriedRequests ?? 0))
        for record in retriedTimeline[0].records where record.attemptCount > 1 {
            let first = try #require(record.firstSentNanoseconds)
            #expect(first < record.sentNanoseconds!, "the first attempt went out before the last")
            let latency = try #require(RequestLatency(record))
            #expect(try #require(latency.ttftFromFirstSendMs) > latency.ttftMs + 10, "TTFT from the first send includes the wait")
        }
        #expect(retriedTimeline[0].records.filter { $0.phase == .measured }.count == 18, "a retried request is counted once")
    }
}
