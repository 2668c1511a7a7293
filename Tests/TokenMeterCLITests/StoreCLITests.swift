import Foundation
import Testing
import TokenMeterBench
import TokenMeterResults
import TokenMeterTestSupport

/// `bench` keeps every run in the store; `runs` lists, shows, exports, compares and deletes them — on SQLite and PostgreSQL.
@Suite struct StoreCLITests {
    func env(_ dir: URL) -> [String: String] { ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path] }

    func ids(_ environment: [String: String]) async throws -> [String] {
        let list = try await tokenmeter(["runs", "list", "--json"], environment: environment)
        let runs = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        return runs.compactMap { $0["id"] as? String }
    }

    @Test func benchRunsAreKeptListedExportedComparedAndDeleted() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = env(dir)
        let first = try await tokenmeter(["bench", "--concurrency", "1,4", "--requests", "8", "--isl", "64", "--osl", "16", "--quiet", "--hardware", "h100",
                                          "--engine", "reference", "--engine-version", "1", "--label", "baseline", "--output", dir.appendingPathComponent("a").path],
                                         environment: e)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("kept as run r-"))
        let second = try await tokenmeter(["bench", "--concurrency", "2,8", "--requests", "8", "--isl", "64", "--osl", "16", "--quiet", "--hardware", "h200",
                                           "--output", dir.appendingPathComponent("b").path], environment: e)
        #expect(second.status == 0, "\(second.stderr)")
        let runs = try await ids(e)
        #expect(runs.count == 2)
        let list = try await tokenmeter(["runs", "list"], environment: e)
        #expect(list.stdout.contains("baseline") && list.stdout.contains("complete") && list.stdout.contains("reference 1"))
        // show, and export as the same JSON bench wrote.
        let show = try await tokenmeter(["runs", "show", runs[1]], environment: e)
        #expect(show.stdout.contains("TTFT p50/p99 ms") && show.stdout.contains("label 'baseline'"))
        let exported = try await tokenmeter(["runs", "export", runs[1], "--format", "json"], environment: e)
        let fromStore = try JSONDecoder().decode(RunResult.self, from: Data(exported.stdout.utf8))
        let fromFile = try RunResult.read(path: dir.appendingPathComponent("a/result.json").path)
        #expect(fromStore == fromFile)
        let csv = try await tokenmeter(["runs", "export", String(runs[1].prefix(20)), "--format", "csv"], environment: e)
        #expect(csv.stdout.hasPrefix("point,concurrency,rate,") && csv.stdout.split(separator: "\n").count == 3)
        let ix = try await tokenmeter(["runs", "export", runs[1], "--format", "inferencex", "--precision", "fp8", "--tp", "1"], environment: e)
        let records = try JSONSerialization.jsonObject(with: Data(ix.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(records.count == 2)
        #expect(records.first?["hw"] as? String == "h100" && records.first?["framework"] as? String == "reference")
        for key in ["conc", "isl", "osl", "tp", "ep", "dp_attention", "precision", "tput_per_gpu", "output_tput_per_gpu", "input_tput_per_gpu",
                    "median_ttft", "mean_tpot", "p99_itl", "median_e2el", "p99_intvty"] {
            #expect(records.first?.keys.contains(key) == true, "\(key)")
        }
        // compare: priced on each run's own hardware, three-metric table and deltas.
        let compare = try await tokenmeter(["runs", "compare", runs[1], runs[0], "--tier", "hyperscaler"], environment: e)
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.stdout.contains("h100-hyperscaler") && compare.stdout.contains("h200-hyperscaler"))
        #expect(compare.stdout.contains("$/GPU-hour") && compare.stdout.contains("(baseline)"))
        #expect(compare.stdout.contains("fronts (output tok/s/GPU at tok/s/user)"))
        // Predictions sit beside runs.
        let predicted = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--concurrency", "1,8", "--save"], environment: e)
        #expect(predicted.stderr.contains("kept as prediction p-"))
        let prediction = String(predicted.stderr.split(separator: " ").first { $0.hasPrefix("p-") } ?? "")
        let mixed = try await tokenmeter(["runs", "compare", prediction, runs[1]], environment: e)
        #expect(mixed.status == 0, "\(mixed.stderr)")
        #expect(mixed.stdout.contains("is a prediction: no measured interval"))
        // delete
        let delete = try await tokenmeter(["runs", "delete", runs[0]], environment: e)
        #expect(delete.stdout.contains("deleted run \(runs[0])"))
        #expect(try await ids(e) == [runs[1]])
        let missing = try await tokenmeter(["runs", "show", "r-nope"], environment: e)
        #expect(missing.status == 2 && missing.stderr.contains("no run 'r-nope'"))
    }

    /// Ctrl-C or SIGTERM mid-sweep: the measured points are committed, the run is marked partial, the exit code says
    /// interrupted.
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedRunIsKeptAsPartial(_ signal: Int32) async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = env(dir)
        let resultPath = dir.appendingPathComponent("out/result.json").path
        let r = try await tokenmeter(["bench", "--rate", "4,0.5", "--requests", "10", "--isl", "16", "--osl", "8", "--quiet", "--output",
                                      dir.appendingPathComponent("out").path], environment: e,
                                     interruptWhen: { ((try? RunResult.read(path: resultPath))?.points.count ?? 0) >= 1 }, signal: signal)
        #expect(r.status == 130, "\(r.stderr)")
        let list = try await tokenmeter(["runs", "list"], environment: e)
        #expect(list.stdout.contains("partial"), "\(list.stdout)")
        let id = try #require(try await ids(e).first)
        let show = try await tokenmeter(["runs", "show", id, "--json"], environment: e)
        let stored = try JSONDecoder().decode(RunResult.self, from: Data(show.stdout.utf8))
        #expect(stored.partial && stored.points.count >= 1)
    }

    /// kill -9 in the middle of a run never leaves the store unreadable: every committed point is there, the run shows as
    /// running (or killed), and new runs can still be added.
    @Test func killNineLeavesAReadableStore() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = env(dir)
        let resultPath = dir.appendingPathComponent("out/result.json").path
        let r = try await tokenmeter(["bench", "--concurrency", "2,2,2,2", "--requests", "40", "--isl", "16", "--osl", "64", "--quiet", "--output",
                                      dir.appendingPathComponent("out").path], environment: e,
                                     interruptWhen: { ((try? RunResult.read(path: resultPath))?.points.count ?? 0) >= 1 }, signal: SIGKILL)
        #expect(r.status == 9 || r.status == 137, "\(r.status)")
        let list = try await tokenmeter(["runs", "list"], environment: e)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("running or killed"))
        let id = try #require(try await ids(e).first)
        let show = try await tokenmeter(["runs", "show", id, "--json"], environment: e)
        let stored = try JSONDecoder().decode(RunResult.self, from: Data(show.stdout.utf8))
        #expect(stored.points.count >= 1)
        let next = try await tokenmeter(["bench", "--concurrency", "1", "--requests", "2", "--isl", "8", "--osl", "4", "--quiet", "--output",
                                         dir.appendingPathComponent("next").path], environment: e)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try await ids(e).count == 2)
    }

    /// The same commands against a real PostgreSQL server chosen by TOKENMETER_DATABASE_URL.
    @Test func benchAndRunsWorkOnPostgreSQL() async throws {
        let url = try await TestPostgres.freshDatabase()
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = ["TOKENMETER_DATABASE_URL": url]
        let bench = try await tokenmeter(["bench", "--concurrency", "1,2", "--requests", "4", "--isl", "16", "--osl", "8", "--quiet", "--hardware", "h100",
                                          "--output", dir.path], environment: e)
        #expect(bench.status == 0, "\(bench.stderr)")
        #expect(bench.stderr.contains("in PostgreSQL tokenmeter@127.0.0.1"))
        let runs = try await ids(e)
        #expect(runs.count == 1)
        let show = try await tokenmeter(["runs", "show", runs[0]], environment: e)
        #expect(show.stdout.contains("c=2"))
    }

    /// A store that cannot be opened stops bench before anything is measured, in one line, exit 2.
    @Test func anUnreachableDatabaseIsAClearErrorBeforeMeasuring() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try await tokenmeter(["bench", "--concurrency", "1", "--requests", "2", "--quiet", "--output", dir.path],
                                     environment: ["TOKENMETER_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("cannot open the run store") && r.stderr.contains("--no-store"))
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("result.json").path))
        let bad = try await tokenmeter(["runs", "list"], environment: ["TOKENMETER_DATABASE_URL": "mysql://x"])
        #expect(bad.status == 2 && bad.stderr.contains("postgres://"))
        let noStore = try await tokenmeter(["bench", "--concurrency", "1", "--requests", "2", "--isl", "8", "--osl", "4", "--quiet", "--no-store",
                                            "--output", dir.path], environment: ["TOKENMETER_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"])
        #expect(noStore.status == 0, "\(noStore.stderr)")
    }

    /// serve: loopback by default, a free port when asked, refuses other addresses without a token, stops on SIGTERM.
    @Test func serveBindsLoopbackAndStopsOnSIGTERM() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = env(dir)
        let exposed = try await tokenmeter(["serve", "--host", "0.0.0.0", "--port", "0"], environment: e)
        #expect(exposed.status == 2 && exposed.stderr.contains("bearer token"), "\(exposed.stderr)")
        let out = dir.appendingPathComponent("serve.out")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let served = try await tokenmeter(["serve", "--port", "0"], environment: e, interruptWhen: {
            guard let text = try? String(contentsOf: out, encoding: .utf8), let range = text.range(of: "http://127.0.0.1:"),
                  let port = Int(text[range.upperBound...].prefix(while: \.isNumber)) else { return false }
            // Serving: one real request, then stop it.
            let health = try? Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/healthz")!)
            return health.map { String(decoding: $0, as: UTF8.self) } == "ok\n"
        }, signal: SIGTERM, timeout: 60, stdoutFile: out)
        #expect(served.status == 0, "\(served.stderr)")
        let printed = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(printed.contains("tokenmeter serve: http://127.0.0.1:"))
    }
}
