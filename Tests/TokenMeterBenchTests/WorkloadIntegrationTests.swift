import Foundation
import Testing
import TokenMeterBench
import TokenMeterCLI
import TokenMeterCore
import TokenMeterModel
import TokenMeterResults
import TokenMeterTarget
import TokenMeterTestSupport

/// Runs a session described in YAML against a fresh reference target that logs what it received, and returns the result,
/// its timeline and the target's ground truth by request id.
func runAgainstLoggingTarget(_ yaml: String, configuration: TargetConfiguration = TargetConfiguration(
    timing: quickSteps, recordGroundTruth: true, recordPrompts: true)) async throws -> (RunResult, [TimelineReader.Point], [String: GroundTruthRecord]) {
    let target = try await ReferenceTarget.start(configuration)
    do {
        let (plan, settings) = try BenchArguments.plan(yaml: yaml, url: target.baseURL)
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let session = BenchSession(plan: plan, settings: settings, targetKind: BenchSession.referenceKind, outputDirectory: directory)
        let result = try await session.run()
        let timeline = try TimelineReader.read(path: directory.appendingPathComponent("timeline.jsonl").path)
        let truth = Dictionary(await target.groundTruth().map { ($0.requestID, $0) }, uniquingKeysWith: { a, _ in a })
        await target.stop()
        return (result, timeline, truth)
    } catch {
        await target.stop()
        throw error
    }
}

/// The calls of each conversation, in call order.
func conversations(_ records: [RequestRecord]) -> [Int: [RequestRecord]] {
    Dictionary(grouping: records.filter { $0.conversation != nil }, by: { $0.conversation! }).mapValues { $0.sorted { $0.call! < $1.call! } }
}

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("TokenMeterWorkloadsTests/Fixtures")

@Suite struct WorkloadIntegrationTests {
    @Test func chatSessionsResendEveryEarlierTurnVerbatimAndItsCachedTokensAreTheTargets() async throws {
        let (result, timeline, truth) = try await runAgainstLoggingTarget("""
            workload: chat
            turns: 4
            sessions: [3]
            session-count: 3
            speedup: "1000"
            osl: 8
            """)
        let point = try #require(result.points.first)
        let records = timeline[0].records
        #expect(records.count == 12 && records.allSatisfy(\.succeeded))
        for (id, calls) in conversations(records) {
            #expect(calls.map(\.call) == [0, 1, 2, 3], "conversation \(id) made its four turns in order")
            for k in 1..<calls.count {
                let previous = try #require(truth["p0-\(calls[k - 1].id)"]?.prompt)
                let prompt = try #require(truth["p0-\(calls[k].id)"]?.prompt)
                #expect(prompt.hasPrefix(previous + "\n" + calls[k - 1].joinedContent + "\n"),
                        "turn \(k) of conversation \(id) holds the previous prompt and its answer verbatim")
                #expect(calls[k].scheduledNanoseconds >= calls[k - 1].completedNanoseconds!, "a turn starts after the one before it ended")
            }
        }
        for r in records {
            let logged = try #require(truth["p0-\(r.id)"])
            #expect(r.usage?.cachedPromptTokens == logged.cachedTokens, "request \(r.id): the client's cached tokens are the target's")
            #expect(r.usage?.promptTokens == logged.promptTokens)
        }
        // After the first turn, each prompt starts with the last prompt and its answer, which the target's cache holds.
        #expect(records.filter { $0.call! > 0 }.allSatisfy { ($0.usage?.cachedPromptTokens ?? 0) > 0 })
        let summary = try #require(point.conversations)
        #expect(summary.kind == "session" && summary.measured == 3 && summary.completed == 3)
        #expect(summary.calls?.p50 == 4 && summary.turns.map(\.call) == [0, 1, 2, 3])
        #expect(summary.turns[3].meanPromptTokens > summary.turns[0].meanPromptTokens, "the context grows turn by turn")
        #expect(timeline[0].conversations.count == 3 && timeline[0].conversations.allSatisfy(\.completed))
    }

    @Test func anAgenticTaskWaitsOnToolsAndRunsItsBranchesInParallel() async throws {
        let workload = FileManager.default.temporaryDirectory.appendingPathComponent("tm-task-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: workload) }
        try """
            name: fan
            kind: task
            system: 64
            steps:
              - user: 20
              - llm: 4
              - fanout:
                  count: 3
                  steps:
                    - tool: {wait: 2s, output: 30}
                    - llm: 6
              - llm: 5
            """.write(to: workload, atomically: true, encoding: .utf8)
        let (result, timeline, truth) = try await runAgainstLoggingTarget("""
            workload: \(workload.path)
            sessions: [2]
            session-count: 2
            speedup: "10"
            """)
        let summary = try #require(result.points.first?.conversations)
        #expect(summary.kind == "task" && summary.completed == 2 && summary.calls?.p50 == 5)
        #expect(abs((summary.toolSeconds?.p50 ?? 0) - 0.6) < 1e-9, "three 2 s tool waits at x10")
        for (_, calls) in conversations(timeline[0].records) {
            #expect(calls.count == 5)
            let branches = calls.filter { $0.maxTokens == 6 }
            #expect(branches.count == 3)
            // The branches start together, 0.2 s after the plan's answer, and overlap.
            let plan = try #require(calls.first { $0.maxTokens == 4 })
            for b in branches { #expect(Double(b.scheduledNanoseconds - plan.completedNanoseconds!) / 1e9 == 0.2) }
            #expect(peakInFlight(branches) >= 2)
            let last = try #require(calls.first { $0.maxTokens == 5 })
            #expect(branches.allSatisfy { last.scheduledNanoseconds >= $0.completedNanoseconds! })
            let finalPrompt = try #require(truth["p0-\(last.id)"]?.prompt)
            for b in branches { #expect(finalPrompt.contains(b.joinedContent), "each branch's answer joins the context") }
        }
    }

    @Test func aMooncakeTraceReplaysAtItsRecordedTimesWithItsBlocksReused() async throws {
        let (result, timeline, truth) = try await runAgainstLoggingTarget("""
            trace: \(fixtures.appendingPathComponent("mooncake.jsonl").path)
            trace-format: mooncake
            speedup: "10"
            """)
        let point = try #require(result.points.first)
        #expect(point.label == "replay x10")
        let records = timeline[0].records.sorted { $0.id < $1.id }
        #expect(records.count == 4 && records.allSatisfy(\.succeeded))
        let origin = records[0].scheduledNanoseconds
        #expect(records.map { Double($0.scheduledNanoseconds - origin) / 1e9 } == [0, 0, 0.1, 0.3], "recorded times ÷ 10")
        #expect(records.map { truth["p0-\($0.id)"]!.promptTokens } == [1200, 1800, 600, 1024], "exact lengths for the target")
        #expect(records.map(\.maxTokens) == [10, 12, 8, 5])
        for r in records { #expect(r.usage?.cachedPromptTokens == truth["p0-\(r.id)"]?.cachedTokens) }
        let (first, last) = (truth["p0-\(records[0].id)"]!, truth["p0-\(records[3].id)"]!)
        if last.arrivalNanoseconds > first.arrivalNanoseconds {  // a loaded machine may send the first row late
            #expect(last.cachedTokens == 1008, "the last row repeats blocks 0 and 1 of the first (less the block always computed)")
        }
        let trace = try #require(point.trace)
        #expect(trace.format == "mooncake" && trace.requests == 4 && trace.blockSize == 512)
        #expect(abs(trace.tokenReuse! - 2048.0 / 4624) < 1e-12)
        #expect((trace.serverCachedShare ?? 0) > 0.3)
    }

    @Test func wekaConversationsReplayAsSessionsWithTheirSubagentsInParallel() async throws {
        let (result, timeline, _) = try await runAgainstLoggingTarget("""
            trace: \(fixtures.appendingPathComponent("weka").path)
            trace-format: weka
            speedup: "10"
            """)
        let point = try #require(result.points.first)
        #expect(point.label == "c=2")
        let byConversation = conversations(timeline[0].records)
        #expect(byConversation.values.map(\.count).sorted() == [1, 5])
        let conv1 = try #require(byConversation.values.first { $0.count == 5 })
        // call 0, then the two subagents (1 and 2 calls) in parallel, then the last call 1.25 s ÷ 10 after they all ended.
        let subagents = Array(conv1[1...3])
        #expect(subagents.allSatisfy { $0.scheduledNanoseconds >= conv1[0].completedNanoseconds! })
        let last = conv1[4]
        let branchesEnd = subagents.compactMap(\.completedNanoseconds).max()!
        #expect(Double(last.scheduledNanoseconds - branchesEnd) / 1e9 == 0.125)
        #expect(last.maxTokens == 30 && last.promptTokensPlanned == 200)
        #expect(point.trace?.conversations == 2 && point.trace?.requests == 6)
        #expect(point.conversations?.completed == 2)
    }

    @Test func aFailedTurnEndsItsSessionAndTheRestIsNotSent() async throws {
        let configuration = TargetConfiguration(timing: quickSteps, faults: try FaultPlan(parsing: "http-500=1"))
        let (result, timeline, _) = try await runAgainstLoggingTarget("""
            workload: chat
            turns: 5
            sessions: [2]
            session-count: 2
            speedup: "1000"
            """, configuration: configuration)
        #expect(timeline[0].records.count == 2, "one failed call per session, nothing after it")
        let summary = try #require(result.points.first?.conversations)
        #expect(summary.stoppedByFailure == 2 && summary.completed == 0)
        #expect(result.points[0].warnings.contains { $0.contains("stopped at a failed call") })
    }

    @Test func aBrokenTraceLineStopsTheRunBeforeAnythingIsSent() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tm-bad-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [0]}\n{\"timestamp\": 5, \"input_length\": 3000, \"output_length\": 2, \"hash_ids\": [0]}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigError.self) {
            try BenchArguments.plan(["--trace", file.path, "--trace-format", "mooncake"], url: "http://127.0.0.1:1/v1")
        }
        #expect(error.message.hasPrefix("\(file.path):2: hash_ids"))
    }
}

/// How late a trace's requests go out. Sensitive to CPU load, so it runs apart from the full suite (scripts/test).
@Suite struct TraceReplayLoadSensitiveTests {
    /// A request is handed to its event loop 200 ms before it is due by a task on the cooperative pool, then sent from the
    /// loop on time (within 20 ms). If the pool is held longer than that lead (a clean-clone run saw 185–485 ms of lag in
    /// the load-sensitive phase, with llama.cpp busy on both cores), the hand-over is late: the bound is the claim plus
    /// the longest delay a probe on the same pool saw.
    @Test func aTracesRequestsGoOutAtTheirTimes() async throws {
        let ((_, timeline, _), noise) = try await NoiseProbe.during(.cooperativePool) {
            try await runAgainstLoggingTarget("""
                trace: \(fixtures.appendingPathComponent("mooncake.jsonl").path)
                trace-format: mooncake
                speedup: "10"
                """)
        }
        for r in timeline[0].records {
            let lag = Double(r.sentNanoseconds! - r.scheduledNanoseconds) / 1e6
            #expect(lag < 20 + noise.maxDelayMs, "request \(r.id) went out \(lag) ms late; \(noise.summary)")
        }
    }
}
