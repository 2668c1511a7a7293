import Foundation
import Testing
import TokenMeterCore
import TokenMeterModel
import TokenMeterResults
import TokenMeterTarget

/// `tokenmeter bench` with sessions, tasks and traces, as a user runs it, against a reference target that logs what it
/// received: each turn's history, the cached tokens, the trace's times.
@Suite struct WorkloadCLITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TokenMeterWorkloadsTests/Fixtures")

    /// Runs the command against a fresh target (2 ms steps) and returns its result, timeline and the target's log by request id.
    func bench(_ arguments: [String]) async throws -> (RunResult, TimelineReader.Point, [String: GroundTruthRecord]) {
        let steps = ParametricStepTime(fixedMilliseconds: 2, perSequenceMilliseconds: 0.01, perContextTokenMicroseconds: 0.001,
                                       perPrefillTokenMicroseconds: 0.1)
        let target = try await ReferenceTarget.start(TargetConfiguration(timing: steps, recordGroundTruth: true, recordPrompts: true))
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try await tokenmeter(["bench", "--url", target.baseURL, "--json", "--quiet", "--no-store", "--output", dir.path] + arguments,
                                     timeout: 300)
        let truth = Dictionary(await target.groundTruth().map { ($0.requestID, $0) }, uniquingKeysWith: { a, _ in a })
        await target.stop()
        #expect(r.status == 0, "\(r.stderr)")
        let result = try JSONDecoder().decode(RunResult.self, from: Data(r.stdout.utf8))
        let timeline = try TimelineReader.read(path: dir.appendingPathComponent("timeline.jsonl").path)
        return (result, try #require(timeline.first), truth)
    }

    func expectCachedTokensAreTheTargets(_ point: TimelineReader.Point, _ truth: [String: GroundTruthRecord]) {
        for r in point.records { #expect(r.usage?.cachedPromptTokens == truth["p0-\(r.id)"]?.cachedTokens, "request \(r.id)") }
    }

    @Test func agenticCodingTasks() async throws {
        let (result, point, truth) = try await bench(["--workload", "agentic-coding", "--sessions", "4", "--turns", "1", "--speedup", "1000",
                                                      "--session-count", "4"])
        let summary = try #require(result.points.first?.conversations)
        #expect(summary.kind == "task" && summary.completed == 4)
        #expect(point.records.allSatisfy(\.succeeded) && point.records.count >= 8)
        expectCachedTokensAreTheTargets(point, truth)
        // Every task starts with the same 14,000-token tools and system prompt: the target serves it from its cache.
        #expect(point.records.filter { $0.call == 0 }.filter { ($0.usage?.cachedPromptTokens ?? 0) >= 13_984 }.count >= 3)
    }

    @Test func sixtyFourChatSessionsOfEightTurns() async throws {
        let (result, point, truth) = try await bench(["--workload", "chat", "--sessions", "64", "--turns", "8", "--speedup", "1000",
                                                      "--session-count", "64"])
        #expect(point.records.count == 512 && point.records.allSatisfy(\.succeeded))
        let byConversation = Dictionary(grouping: point.records, by: { $0.conversation! }).mapValues { $0.sorted { $0.call! < $1.call! } }
        #expect(byConversation.count == 64)
        for calls in byConversation.values {
            for k in 1..<calls.count {
                let (previous, prompt) = (truth["p0-\(calls[k - 1].id)"]?.prompt ?? "", truth["p0-\(calls[k].id)"]?.prompt ?? "")
                #expect(prompt.hasPrefix(previous + "\n" + calls[k - 1].joinedContent + "\n"))
            }
        }
        expectCachedTokensAreTheTargets(point, truth)
        #expect(result.points[0].conversations?.turns.count == 8)
    }

    @Test func aMooncakeTraceAtTenTimesItsSpeed() async throws {
        let (result, point, truth) = try await bench(["--trace", Self.fixtures.appendingPathComponent("mooncake.jsonl").path,
                                                      "--trace-format", "mooncake", "--speedup", "10"])
        let records = point.records.sorted { $0.id < $1.id }
        #expect(records.map { Double($0.scheduledNanoseconds - records[0].scheduledNanoseconds) / 1e9 } == [0, 0, 0.1, 0.3])
        #expect(records.map { truth["p0-\($0.id)"]?.promptTokens } == [1200, 1800, 600, 1024])
        expectCachedTokensAreTheTargets(point, truth)
        #expect(result.points[0].trace?.requests == 4)
    }

    @Test func wekaConversations() async throws {
        let (result, point, truth) = try await bench(["--trace", Self.fixtures.appendingPathComponent("weka").path, "--trace-format", "weka"])
        #expect(point.records.count == 6 && point.records.allSatisfy(\.succeeded))
        expectCachedTokensAreTheTargets(point, truth)
        #expect(result.points[0].conversations?.completed == 2 && result.points[0].trace?.conversations == 2)
    }
}
