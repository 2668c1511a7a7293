import Foundation
import Testing
import TokenMeterCore
import TokenMeterModel
import TokenMeterResults
import TokenMeterTarget
import TokenMeterTestSupport

/// A benchmark run with an API key, an extra auth header and a database password: the secrets reach the server, but no file
/// the run wrote (result, timeline, SQLite store, exports, HTML report) and nothing printed holds them.
@Suite struct SecretsTests {
    /// Every regular file under a folder, read as bytes (the SQLite store included, with its WAL).
    func files(under dir: URL) -> [URL] {
        let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey])
        return (walker?.allObjects as? [URL] ?? []).filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }

    @Test func noFileOrOutputOfARunHoldsTheKey() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = "sk-secret-\(UUID().uuidString)"
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("tm-key-\(UUID().uuidString)")
        try key.write(to: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("store/runs.sqlite").path, "TOKENMETER_API_KEY": key]
        var outputs: [String] = []
        let bench = try await tokenmeter(["bench", "--concurrency", "1,2", "--requests", "4", "--isl", "16", "--osl", "8", "--hardware", "h100",
                                          "--header", "Authorization-Extra: \(key)-header", "--output", dir.appendingPathComponent("run").path],
                                         environment: env)
        #expect(bench.status == 0, "\(bench.stderr)")
        outputs += [bench.stdout, bench.stderr]
        let fromFile = try await tokenmeter(["bench", "--concurrency", "1", "--requests", "2", "--isl", "8", "--osl", "4", "--api-key-file", keyFile.path,
                                             "--output", dir.appendingPathComponent("run2").path], environment: env)
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        outputs += [fromFile.stdout, fromFile.stderr]
        let list = try await tokenmeter(["runs", "list", "--json"], environment: env)
        let ids = (try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids.count == 2)
        for id in ids {
            for format in ["json", "csv", "inferencex"] {
                let export = try await tokenmeter(["runs", "export", id, "--format", format, "-o", dir.appendingPathComponent("\(id).\(format)").path],
                                                  environment: env)
                outputs += [export.stdout, export.stderr]
            }
            let show = try await tokenmeter(["runs", "show", id], environment: env)
            outputs += [show.stdout, show.stderr]
        }
        let report = try await tokenmeter(["report"] + ids + ["-o", dir.appendingPathComponent("report.html").path], environment: env)
        #expect(report.status == 0, "\(report.stderr)")
        outputs += [report.stdout, report.stderr]
        let written = files(under: dir)
        #expect(written.contains { $0.lastPathComponent == "runs.sqlite" } && written.contains { $0.lastPathComponent == "report.html" })
        #expect(written.contains { $0.lastPathComponent == "timeline.jsonl" } && written.count >= 10)
        for file in written {
            let bytes = try Data(contentsOf: file)
            #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file.path) holds the key")
        }
        for text in outputs { #expect(!text.contains(key)) }
        // The header was recorded, with its value redacted.
        let result = try String(contentsOf: dir.appendingPathComponent("run/result.json"), encoding: .utf8)
        #expect(result.contains("Authorization-Extra"))
    }

    /// In every dialect the key goes in that dialect's header (the target refuses a request without it: every request
    /// succeeding proves it arrived), from the variable the dialect's SDK reads, and nothing the run wrote or printed holds it.
    @Test(arguments: ["chat", "completions", "responses", "anthropic", "embeddings"])
    func everyDialectSendsTheKeyAndWritesItNowhere(_ api: String) async throws {
        let key = "sk-\(api)-\(UUID().uuidString)"
        let target = try await ReferenceTarget.start(TargetConfiguration(timing: ParametricStepTime(fixedMilliseconds: 1), apiKey: key))
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let variable = api == "anthropic" ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("store/runs.sqlite").path, variable: key]
        let bench = try await tokenmeter(["bench", "--url", target.baseURL, "--api", api, "--concurrency", "2", "--requests", "4", "--isl", "8",
                                          "--osl", "4", "--output", dir.appendingPathComponent("run").path], environment: env)
        let refused = try await tokenmeter(["bench", "--url", target.baseURL, "--api", api, "--concurrency", "1", "--requests", "2", "--isl", "8",
                                            "--osl", "4", "--no-store", "--output", dir.appendingPathComponent("refused").path],
                                           environment: [variable: key + "-wrong"])
        await target.stop()
        #expect(bench.status == 0, "\(bench.stderr)")
        func metrics(_ run: String) throws -> PointMetrics? {
            try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: dir.appendingPathComponent("\(run)/result.json"))).points.first?.metrics
        }
        let taken = try #require(try metrics("run"))
        #expect(taken.requestsFailed == 0 && taken.requestsSucceeded == 4, "\(api): the target took the key")
        #expect(try metrics("refused")?.errorsByKind["http_status"] == 2, "\(api): a wrong key is refused (HTTP 401)")
        for file in files(under: dir) { #expect(try Data(contentsOf: file).range(of: Data(key.utf8)) == nil, "\(api): \(file.path) holds the key") }
        for text in [bench.stdout, bench.stderr, refused.stdout, refused.stderr] { #expect(!text.contains(key), "\(api)") }
    }

    /// A password in TOKENMETER_DATABASE_URL is used to connect but never printed, not even in an error.
    @Test func theDatabasePasswordIsNeverPrinted() async throws {
        let url = try await TestPostgres.freshDatabase()
        let password = "pw-\(UUID().uuidString)"
        let withPassword = url.replacingOccurrences(of: "postgres://tokenmeter@", with: "postgres://tokenmeter:\(password)@")
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = try await tokenmeter(["bench", "--concurrency", "1", "--requests", "2", "--isl", "8", "--osl", "4", "--output", dir.path],
                                         environment: ["TOKENMETER_DATABASE_URL": withPassword])
        #expect(bench.status == 0, "\(bench.stderr)")
        #expect(bench.stderr.contains("PostgreSQL tokenmeter@127.0.0.1"))
        let unreachable = try await tokenmeter(["runs", "list"], environment: ["TOKENMETER_DATABASE_URL": "postgres://u:\(password)@127.0.0.1:1/x"])
        #expect(unreachable.status == 2)
        for text in [bench.stdout, bench.stderr, unreachable.stdout, unreachable.stderr] { #expect(!text.contains(password)) }
        for file in files(under: dir) { #expect(try Data(contentsOf: file).range(of: Data(password.utf8)) == nil) }
    }
}
