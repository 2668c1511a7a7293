import Foundation
import Testing
import TokenMeterCore
import TokenMeterModel
import TokenMeterResults
import TokenMeterTarget
import TokenMeterTestSupport

/// A run killed with SIGKILL (as an OOM kill or a lost node would) keeps every request that completed before the kill, and
/// `runs recover` puts them back into its result and the run store; the SQLite store survives a kill at any moment.
@Suite(.serialized) struct CrashTests {
    /// Lines of each point in a timeline file so far: point index → request lines (whole lines only).
    static func requestLines(_ timeline: URL) -> [Int: Int] {
        guard let data = FileManager.default.contents(atPath: timeline.path) else { return [:] }
        var counts: [Int: Int] = [:]
        var point = -1
        for line in data.split(separator: UInt8(ascii: "\n")) {
            let text = String(decoding: line, as: UTF8.self)
            if text.contains("\"type\":\"point\"") {
                point += 1
                counts[point] = 0
            } else if text.contains("\"type\":\"request\""), text.hasSuffix("}") {
                counts[point, default: 0] += 1
            }
        }
        return counts
    }

    /// A target of 20 ms steps: a 16-token request takes about a third of a second, so the second point (64 requests, 8
    /// at a time) runs for over two seconds and the kill lands inside it however loaded the machine is.
    static func slowTarget() async throws -> ReferenceTarget {
        try await ReferenceTarget.start(TargetConfiguration(timing: ParametricStepTime(fixedMilliseconds: 20, perSequenceMilliseconds: 0)))
    }

    @Test func aRunKilledInItsSecondPointIsRecoveredWithEveryCompletedRequest() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        let run = dir.appendingPathComponent("results/killed")
        let timeline = run.appendingPathComponent("timeline.jsonl")
        let target = try await Self.slowTarget()
        let killed = try await tokenmeter(["bench", "--url", target.baseURL, "--concurrency", "2,8", "--isl", "16", "--osl", "16", "--warmup", "0",
                                           "--output", run.path],
                                          environment: env, interruptWhen: { (Self.requestLines(timeline)[1] ?? 0) >= 16 }, signal: SIGKILL, timeout: 120)
        await target.stop()
        #expect(killed.status == SIGKILL, "the bench was killed: \(killed.status)")
        let written = Self.requestLines(timeline)
        #expect(written[0] == 16 && (written[1] ?? 0) >= 16 && (written[1] ?? 0) < 64, "\(written)")

        let recover = try await tokenmeter(["runs", "recover", run.path], environment: env)
        #expect(recover.status == 0, "\(recover.stderr)")
        #expect(recover.stdout.contains("1 rebuilt from \(written[1]!) requests"), "\(recover.stdout)")
        let result = try RunResult.read(path: run.appendingPathComponent("result.json").path)
        #expect(result.partial && result.points.count == 2)
        let cut = try #require(result.points.last)
        #expect(cut.partial && cut.label == "c=8" && cut.metrics.requestsTotal == written[1]!, "every request the timeline kept, exactly")
        #expect(cut.metrics.requestsSucceeded > 0 && cut.metrics.outputTokensPerSecond > 0)
        #expect(result.points[0].metrics.requestsTotal == written[0]!, "the finished point is as it was")

        // The store's run (created when the run started) is finished as partial, with the rebuilt point and its requests.
        let list = try await tokenmeter(["runs", "list", "--json"], environment: env)
        let runs = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(runs.count == 1 && runs.first?["status"] as? String == "partial", "\(list.stdout)")
        let id = try #require(runs.first?["id"] as? String)
        let export = try await tokenmeter(["runs", "export", id, "--format", "json", "-o", dir.appendingPathComponent("export.json").path], environment: env)
        #expect(export.status == 0)
        let exported = try RunResult.read(path: dir.appendingPathComponent("export.json").path)
        #expect(exported.points.count == 2 && exported.points.last?.metrics.requestsTotal == written[1]!)

        // The next bench beside it says the killed run can be recovered (it is recovered now, so it no longer does).
        let again = try await tokenmeter(["runs", "recover", run.path], environment: env)
        #expect(again.stdout.contains("nothing to recover") || again.stdout.contains("recovered"))
    }

    @Test func theNextBenchOffersToRecoverAKilledRun() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        let killedRun = dir.appendingPathComponent("results/a-killed")
        let timeline = killedRun.appendingPathComponent("timeline.jsonl")
        let target = try await Self.slowTarget()
        _ = try await tokenmeter(["bench", "--url", target.baseURL, "--concurrency", "8", "--isl", "16", "--osl", "16", "--warmup", "0",
                                  "--output", killedRun.path],
                                 environment: env, interruptWhen: { (Self.requestLines(timeline)[0] ?? 0) >= 8 }, signal: SIGKILL)
        await target.stop()
        let next = try await tokenmeter(["bench", "--concurrency", "1", "--requests", "2", "--isl", "8", "--osl", "4",
                                         "--output", dir.appendingPathComponent("results/b-next").path], environment: env)
        #expect(next.status == 0 && next.stderr.contains("tokenmeter runs recover \(killedRun.path)"), "\(next.stderr)")
    }

    /// Killed at random moments (while points are committed to SQLite too), the store always opens and lists its runs.
    @Test func theSQLiteStoreSurvivesKillsAtRandomMoments() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<4 {
            let delay = Double.random(in: 0.3...2.5, using: &generator)
            let start = Date()
            let killed = try await tokenmeter(["bench", "--concurrency", "1,2,4,8,16", "--requests", "60", "--isl", "16", "--osl", "8",
                                               "--output", dir.appendingPathComponent("r\(round)").path],
                                              environment: env, interruptWhen: { Date().timeIntervalSince(start) > delay }, signal: SIGKILL)
            #expect(killed.status == SIGKILL || killed.status == 0)
            let list = try await tokenmeter(["runs", "list", "--json"], environment: env)
            #expect(list.status == 0, "round \(round), killed after \(delay) s: \(list.stderr)")
            let runs = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
            #expect(runs != nil, "the store lists its runs after the kill")
        }
    }
}
