import Foundation
import Synchronization
import Testing
import TokenMeterCore
import TokenMeterModel
import TokenMeterResults
import TokenMeterTarget
import TokenMeterTestSupport

/// A run killed with SIGKILL (as an OOM kill or a lost node would) keeps every request that completed before the kill, and
/// `runs recover` puts them back into its result and the run store; the SQLite store survives a kill at any moment. The
/// kills are timed by watching the timeline from the test, which a fully loaded cooperative pool can hold up for seconds,
/// so the suite runs apart from the full suite's load ("LoadSensitive").
@Suite(.serialized) struct LoadSensitiveCrashTests {
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

    /// A target of 20 ms steps: a 64-token request takes about 1.3 s, so a point of 16 requests two at a time runs for over
    /// ten seconds, and a kill meant for its middle lands there however loaded the machine is.
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
        let killed = try await tokenmeter(["bench", "--url", target.baseURL, "--concurrency", "8,2", "--requests", "16", "--isl", "16", "--osl", "64",
                                           "--warmup", "0", "--output", run.path],
                                          environment: env, interruptWhen: { (Self.requestLines(timeline)[1] ?? 0) >= 2 }, signal: SIGKILL, timeout: 120)
        await target.stop()
        #expect(killed.status == SIGKILL, "the bench was killed: \(killed.status)")
        let written = Self.requestLines(timeline)
        #expect(written[0] == 16 && (written[1] ?? 0) >= 2 && (written[1] ?? 0) < 16, "\(written)")

        let recover = try await tokenmeter(["runs", "recover", run.path], environment: env)
        #expect(recover.status == 0, "\(recover.stderr)")
        #expect(recover.stdout.contains("1 rebuilt from \(written[1]!) requests"), "\(recover.stdout)")
        let result = try RunResult.read(path: run.appendingPathComponent("result.json").path)
        #expect(result.partial && result.points.count == 2)
        let cut = try #require(result.points.last)
        #expect(cut.partial && cut.label == "c=2" && cut.metrics.requestsTotal == written[1]!, "every request the timeline kept, exactly")
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
        _ = try await tokenmeter(["bench", "--url", target.baseURL, "--concurrency", "2", "--requests", "16", "--isl", "16", "--osl", "64",
                                  "--warmup", "0", "--output", killedRun.path],
                                 environment: env, interruptWhen: { (Self.requestLines(timeline)[0] ?? 0) >= 2 }, signal: SIGKILL)
        await target.stop()
        let next = try await tokenmeter(["bench", "--concurrency", "1", "--requests", "2", "--isl", "8", "--osl", "4",
                                         "--output", dir.appendingPathComponent("results/b-next").path], environment: env)
        #expect(next.status == 0 && next.stderr.contains("tokenmeter runs recover \(killedRun.path)"), "\(next.stderr)")
    }

    /// A run the store never got (unreachable throughout, or another store) goes into it whole from its files.
    @Test func recoverKeepsAFinishedRunTheStoreNeverGot() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        let run = dir.appendingPathComponent("files-only")
        let bench = try await tokenmeter(["bench", "--concurrency", "1,2", "--requests", "4", "--isl", "8", "--osl", "4", "--no-store", "--output", run.path],
                                         environment: env)
        #expect(bench.status == 0)
        let recover = try await tokenmeter(["runs", "recover", run.path], environment: env)
        #expect(recover.status == 0 && recover.stdout.contains("(complete)"), "\(recover.stdout) \(recover.stderr)")
        let list = try await tokenmeter(["runs", "list", "--json"], environment: env)
        let runs = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(runs.count == 1 && runs.first?["status"] as? String == "complete")
        let again = try await tokenmeter(["runs", "recover", run.path], environment: env)
        #expect(again.stdout.contains("nothing to recover"), "recovering twice keeps one run: \(again.stdout)")
    }

    /// The PostgreSQL server drops the bench's connection mid-run (its backend terminated, as a restart or failover does):
    /// the store connects again and every point gets in.
    @Test func aPostgreSQLConnectionDroppedMidRunLosesNoPoint() async throws {
        let url = try await TestPostgres.freshDatabase()
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let timeline = dir.appendingPathComponent("run/timeline.jsonl")
        let target = try await Self.slowTarget()
        let dropped = Atomic<Bool>(false)
        let bench = try await tokenmeter(["bench", "--url", target.baseURL, "--concurrency", "1,2,4", "--requests", "8", "--isl", "8", "--osl", "32",
                                          "--warmup", "0", "--output", dir.appendingPathComponent("run").path],
                                         environment: ["TOKENMETER_DATABASE_URL": url],
                                         interruptWhen: {
                                             guard !dropped.load(ordering: .relaxed), Self.requestLines(timeline)[1] != nil else { return false }
                                             let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                                             dropped.store(TestPostgres.execute(sql, database: url) == 0, ordering: .relaxed)
                                             return true
                                         }, signal: 0, timeout: 120)
        await target.stop()
        let terminated = dropped.load(ordering: .relaxed)
        #expect(terminated, "the backend was terminated mid-run")
        #expect(bench.status == 0, "\(bench.stderr)")
        let list = try await tokenmeter(["runs", "list", "--json"], environment: ["TOKENMETER_DATABASE_URL": url])
        let runs = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(runs.count == 1 && runs.first?["status"] as? String == "complete", "\(list.stdout) \(list.stderr)")
        let id = try #require(runs.first?["id"] as? String)
        let export = try await tokenmeter(["runs", "export", id, "--format", "json", "-o", dir.appendingPathComponent("export.json").path],
                                          environment: ["TOKENMETER_DATABASE_URL": url])
        #expect(export.status == 0)
        let stored = try RunResult.read(path: dir.appendingPathComponent("export.json").path)
        #expect(stored.points.count == 3 && stored.points.allSatisfy { $0.metrics.requestsTotal == 8 }, "every point got in")
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
