import Foundation
import Testing
import TokenMeterCore
import TokenMeterModel
import TokenMeterResults
import TokenMeterTarget
import TokenMeterTestSupport

/// `bench --slurm` on a real Slurm: scripts/slurm-cluster installs slurm-wlm, munge and libpmi2-0 from Debian and starts a
/// controller and three emulated nodes on this machine; the workers start through PMI2's barrier, and the merged run's
/// metrics equal those computed here from the union of the workers' own timelines. A failing worker fails the run with a
/// clear message, an incomplete merge is refused and kept partial, and every daemon is stopped afterwards.
@Suite(.serialized) struct SlurmScaleOutTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/slurm-cluster").path

    /// Runs scripts/slurm-cluster; returns its status and output.
    static func cluster(_ arguments: [String]) async throws -> (Int32, String) {
        let child = try ChildProcess.spawn(["/bin/bash", script] + arguments, stdout: .pipe, stderr: .pipe)
        async let out = child.output()
        async let err = child.errorOutput()
        let status = try await child.wait(timeout: 300) ?? -1
        return (status, String(decoding: await out, as: UTF8.self) + String(decoding: await err, as: UTF8.self))
    }

    static func daemons(_ dir: URL) -> [Int32] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".pid") }
        return files.compactMap { try? String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) }
            .compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    static func alive(_ pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
        return !status.contains("State:\tZ")
    }

    /// TTFT of each measured, successful record: the first token-bearing event after the send, as PointMetrics defines it.
    static func ttfts(_ records: [RequestRecord]) -> [Double] {
        records.filter { $0.phase == .measured && $0.succeeded }.compactMap { r in
            guard let sent = r.sentNanoseconds, let first = r.tokenEvents.first else { return nil }
            return Double(first.timeNanoseconds - sent) / 1e6
        }
    }

    @Test func aShardedBenchMergesExactlyAndAFailingWorkerFailsTheRun() async throws {
        let dir = scratch()
        let slurm = dir.appendingPathComponent("slurm")
        try FileManager.default.createDirectory(at: slurm, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (started, log) = try await Self.cluster(["start", slurm.path, "3"])
        try #require(started == 0, "the Slurm cluster did not start: \(log)")
        let pids = Self.daemons(slurm)
        #expect(pids.count == 4, "slurmctld and three slurmd: \(pids)")
        let target = try await ReferenceTarget.start(TargetConfiguration(timing: ParametricStepTime(fixedMilliseconds: 4, perSequenceMilliseconds: 0)))
        let env = ["SLURM_CONF": slurm.appendingPathComponent("slurm.conf").path, "TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        do {
            // Two points, each split 2/2/2 and 4/4/4 connections and 30 requests per worker.
            let out = dir.appendingPathComponent("run")
            let r = try await tokenmeter(["bench", "--slurm", "--workers", "3", "--url", target.baseURL, "--concurrency", "6,12", "--requests", "90",
                                          "--isl", "64", "--osl", "16", "--output", out.path], environment: env, timeout: 180)
            #expect(r.status == 0, "\(r.stderr)")
            let merged = try RunResult.read(path: out.appendingPathComponent("result.json").path)
            #expect(!merged.partial)
            #expect(merged.points.map(\.label) == ["c=6", "c=12"] && merged.points.map(\.concurrency) == [6, 12])
            let workers = try (0..<3).map { rank in try TimelineReader.read(path: out.appendingPathComponent("rank-\(rank)/timeline.jsonl").path) }
            for (i, point) in merged.points.enumerated() {
                let m = point.metrics
                #expect(m.requestsSucceeded == 90 && m.requestsFailed == 0)
                // Exact over the union of the workers' own records, computed here; never an average of per-worker percentiles.
                let union = workers.flatMap { $0[i].records }
                let expected = try #require(Distribution(Self.ttfts(union)))
                let got = try #require(m.ttftMs)
                for (a, b, what) in [(got.mean, expected.mean, "mean"), (got.p50, expected.p50, "p50"), (got.p90, expected.p90, "p90"),
                                     (got.p99, expected.p99, "p99"), (got.max, expected.max, "max")] {
                    #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "point \(i) TTFT \(what): merged \(a), union \(b)")
                }
                #expect(got.count == 90)
                let tokens = union.filter { $0.phase == .measured && $0.succeeded }.reduce(0) { $0 + $1.outputTokens }
                #expect(abs(m.outputTokensPerSecond * m.windowSeconds - Double(tokens)) < 1e-6 * Double(tokens), "point \(i): output tokens")
            }
            // Each worker sent prompts of its own: without the rank's salt in the prompt seed, every worker sent the same
            // prompts and the reference target's prefix cache served a third of the prompt tokens (measured once: 1488 of
            // 2048 on the second of two workers); one machine sends no prompt twice.
            let all = workers.flatMap { $0.flatMap(\.records) }.filter { $0.phase == .measured }
            let cached = all.reduce(0) { $0 + ($1.usage?.cachedPromptTokens ?? 0) }, prompt = all.reduce(0) { $0 + ($1.usage?.promptTokens ?? 0) }
            #expect(prompt > 0 && Double(cached) < 0.05 * Double(prompt), "\(cached) of \(prompt) prompt tokens came from the prefix cache")
            // One timeline with global request ids 0 ..< 90 per point.
            let timeline = try TimelineReader.read(path: out.appendingPathComponent("timeline.jsonl").path)
            #expect(timeline.map { $0.records.map(\.id) } == [Array(0..<90), Array(0..<90)])
            // The start spread is reported, and small.
            let spread = try #require(merged.warnings.first { $0.contains("start spread") })
            let ms = try #require(Double(spread.split(separator: "start spread ")[1].split(separator: " ")[0]))
            #expect(ms < 50, "\(spread)")
            let headers = try (0..<3).map { rank in
                try JSONDecoder().decode(WorkerHeader.self, from: Data(contentsOf: out.appendingPathComponent("rank-\(rank)/worker.json")))
            }
            #expect(Set(headers.map(\.startAtRealtimeNanoseconds)).count == 1 && headers.map(\.share.firstRequestID) == [0, 30, 60])
            // Kept in the store as one run.
            let list = try await tokenmeter(["runs", "list", "--json"], environment: env)
            #expect(list.stdout.components(separatedBy: "\"id\"").count - 1 == 1, "\(list.stdout)")

            // An open loop: each worker sends every third arrival of one global schedule (constant, 40/s) from the common start
            // instant, so the merged schedule is the single machine's: request k is due k × 25 ms after the first (the workers
            // share this host's clock; across hosts the clocks' offset adds to it).
            let open = dir.appendingPathComponent("open")
            let o = try await tokenmeter(["bench", "--slurm", "--workers", "3", "--url", target.baseURL, "--rate", "40", "--arrival", "constant",
                                          "--requests", "60", "--isl", "64", "--osl", "16", "--output", open.path, "--no-store"], environment: env, timeout: 180)
            #expect(o.status == 0, "\(o.stderr)")
            let openRun = try RunResult.read(path: open.appendingPathComponent("result.json").path)
            #expect(openRun.points.map(\.label) == ["rate=40/s"] && openRun.points.first?.metrics.requestsSucceeded == 60)
            let sends = try #require(try TimelineReader.read(path: open.appendingPathComponent("timeline.jsonl").path).first).records
            #expect(sends.map(\.id) == Array(0..<60))
            let first = Double(sends[0].scheduledNanoseconds)
            let off = sends.enumerated().map { k, r in abs(Double(r.scheduledNanoseconds) - first - Double(k) * 25e6) / 1e6 }.max() ?? 0
            #expect(off < 2, "a merged send was due \(off) ms off the single-machine schedule")

            // A trace: each worker replays every third request at its recorded time, so the merge is the whole trace.
            let trace = dir.appendingPathComponent("trace.jsonl")
            try (0..<30).map { #"{"t": \#(Double($0) * 0.02), "input_tokens": 64, "output_tokens": 8}"# }.joined(separator: "\n")
                .write(to: trace, atomically: true, encoding: .utf8)
            let replayed = dir.appendingPathComponent("replayed")
            let t = try await tokenmeter(["bench", "--slurm", "--workers", "3", "--url", target.baseURL, "--trace", trace.path, "--trace-format", "jsonl",
                                          "--output", replayed.path, "--no-store"], environment: env, timeout: 180)
            #expect(t.status == 0, "\(t.stderr)")
            let replay = try #require(try TimelineReader.read(path: replayed.appendingPathComponent("timeline.jsonl").path).first).records
            #expect(replay.map(\.id) == Array(0..<30) && replay.allSatisfy(\.succeeded))
            let t0 = Double(replay[0].scheduledNanoseconds)
            let late = replay.enumerated().map { k, r in abs(Double(r.scheduledNanoseconds) - t0 - Double(k) * 20e6) / 1e6 }.max() ?? 0
            #expect(late < 2, "a merged replay send was due \(late) ms off the trace")

            // Sessions: 6 chat users and 9 conversations over three workers (2 users and 3 conversations each); conversation k
            // of rank r is global r + 3k, and the merged point's conversation summary covers all nine.
            let chat = dir.appendingPathComponent("chat")
            let c = try await tokenmeter(["bench", "--slurm", "--workers", "3", "--url", target.baseURL, "--workload", "chat", "--speedup", "max",
                                          "--sessions", "6", "--session-count", "9", "--output", chat.path, "--no-store"], environment: env, timeout: 240)
            #expect(c.status == 0, "\(c.stderr)")
            let chatRun = try RunResult.read(path: chat.appendingPathComponent("result.json").path)
            #expect(chatRun.points.first?.conversations?.measured == 9, "\(String(describing: chatRun.points.first?.conversations))")
            let chatRecords = try #require(try TimelineReader.read(path: chat.appendingPathComponent("timeline.jsonl").path).first)
            #expect(Set(chatRecords.conversations.filter { $0.phase == .measured }.map(\.id)) == Set(0..<9))
            #expect(Set(chatRecords.records.compactMap(\.conversation)).isSubset(of: Set(chatRecords.conversations.map(\.id))))
            #expect(Set(chatRecords.records.map(\.id)).count == chatRecords.records.count)

            // A trace of conversations: nine sessions of two calls, the k-th starting at k × 50 ms; each worker replays every
            // third conversation at its recorded start, so the merge holds all nine under their trace order (global r + 3k).
            let sessions = dir.appendingPathComponent("sessions.jsonl")
            try (0..<9).flatMap { k in
                [#"{"session": "s\#(k)", "t": \#(Double(k) * 0.05), "input_tokens": 48, "output_tokens": 4}"#,
                 #"{"session": "s\#(k)", "t": \#(Double(k) * 0.05 + 0.6), "think_s": 0.1, "input_tokens": 64, "output_tokens": 4}"#]
            }.joined(separator: "\n").write(to: sessions, atomically: true, encoding: .utf8)
            let played = dir.appendingPathComponent("played")
            let st = try await tokenmeter(["bench", "--slurm", "--workers", "3", "--url", target.baseURL, "--trace", sessions.path, "--trace-format", "jsonl",
                                           "--output", played.path, "--no-store"], environment: env, timeout: 180)
            #expect(st.status == 0, "\(st.stderr)")
            let sessionPoint = try #require(try TimelineReader.read(path: played.appendingPathComponent("timeline.jsonl").path).first)
            #expect(sessionPoint.records.count == 18 && sessionPoint.records.allSatisfy(\.succeeded))
            #expect(Set(sessionPoint.conversations.map(\.id)) == Set(0..<9))
            let firstCalls = sessionPoint.records.filter { $0.call == 0 }.sorted { ($0.conversation ?? 0) < ($1.conversation ?? 0) }
            #expect(firstCalls.compactMap(\.conversation) == Array(0..<9))
            if let s0 = firstCalls.first?.scheduledNanoseconds {
                let skew = firstCalls.enumerated().map { k, r in abs(Double(r.scheduledNanoseconds) - Double(s0) - Double(k) * 50e6) / 1e6 }.max() ?? 0
                #expect(skew < 10, "a merged conversation started \(skew) ms off the trace")
            }

            // A merge that misses a rank is refused, and what it could merge is kept marked partial.
            let partial = dir.appendingPathComponent("partial")
            let m = try await tokenmeter(["merge", out.appendingPathComponent("rank-0").path, out.appendingPathComponent("rank-2").path,
                                          "-o", partial.path, "--no-store"], environment: env)
            #expect(m.status == 1 && m.stderr.contains("rank 1 of 3 missing") && m.stderr.contains("marked partial"), "\(m.stderr)")
            #expect(try RunResult.read(path: partial.appendingPathComponent("result.json").path).partial)

            // A worker that cannot write its results fails, srun stops the step, and the launcher says so.
            let failing = dir.appendingPathComponent("failing")
            try FileManager.default.createDirectory(at: failing, withIntermediateDirectories: true)
            try Data("not a folder".utf8).write(to: failing.appendingPathComponent("rank-1"))
            let f = try await tokenmeter(["bench", "--slurm", "--workers", "3", "--url", target.baseURL, "--concurrency", "3", "--requests", "30",
                                          "--isl", "64", "--osl", "16", "--output", failing.path], environment: env, timeout: 120)
            #expect(f.status != 0)
            #expect(f.stderr.contains("srun exited with status") && f.stderr.contains("a worker failed"), "\(f.stderr)")
        } catch {
            Issue.record("\(error)")
        }
        await target.stop()
        let (stopped, stopLog) = try await Self.cluster(["stop", slurm.path])
        #expect(stopped == 0, "\(stopLog)")
        for pid in pids { #expect(!Self.alive(pid), "daemon \(pid) still running after stop") }
    }
}
