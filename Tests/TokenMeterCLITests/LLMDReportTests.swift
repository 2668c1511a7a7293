import Foundation
import Testing
import TokenMeterCore
import TokenMeterResults

/// llm-d Benchmark Reports: `runs export --format llmd` writes v0.2 that re-imports to the same figures, `runs import
/// --format llmd` reads v0.1 and v0.2 reports tokenmeter did not write, and a report of a version it does not know is
/// refused with that version and the fields it could not read, importing nothing.
@Suite struct LLMDReportTests {
    static let fixtures = ImportTests.fixtures

    static func show(_ id: String, _ env: [String: String]) async throws -> RunResult {
        let show = try await tokenmeter(["runs", "show", id, "--json"], environment: env)
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(RunResult.self, from: Data(show.stdout.utf8))
    }

    static func same(_ a: Double?, _ b: Double?, _ what: String) {
        let equal = (a == nil && b == nil) || (a.map { x in b.map { y in (x.isNaN && y.isNaN) || abs(x - y) <= 1e-9 * max(1, abs(y)) } ?? false } ?? false)
        #expect(equal, "\(what): \(String(describing: a)) after the round trip, \(String(describing: b)) before")
    }

    static func sameDistribution(_ a: Distribution?, _ b: Distribution?, _ what: String) {
        #expect((a == nil) == (b == nil), "\(what): present \(a != nil) after, \(b != nil) before")
        guard let a, let b else { return }
        for (x, y, field) in [(a.mean, b.mean, "mean"), (a.min, b.min, "min"), (a.max, b.max, "max"), (a.p50, b.p50, "p50"), (a.p90, b.p90, "p90"),
                              (a.p95, b.p95, "p95"), (a.p99, b.p99, "p99")] {
            same(x, y, "\(what).\(field)")
        }
    }

    /// Exports a stored run as llm-d reports and imports them back: every figure the report carries comes back the same.
    @Test(arguments: [(["peers/tokenmeter-result.json"], "tokenmeter"), (["vllm-bench-serve-detailed.json", "vllm-bench-serve-summary.json"], "vllm"),
                      (["peers/guidellm-benchmarks.json"], "guidellm")])
    func exportReimportsToTheSameFigures(_ files: [String], _ format: String) async throws {
        let (before, env, id) = try await ImportTests().importRun(files, format, ["--gpu", "h100"])
        let report = scratch().appendingPathExtension("yaml")
        try FileManager.default.createDirectory(at: report.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: report) }
        let export = try await tokenmeter(["runs", "export", id, "--format", "llmd", "-o", report.path], environment: env)
        #expect(export.status == 0, "\(export.stderr)")
        let text = try String(contentsOf: report, encoding: .utf8)
        #expect(text.contains("\"version\":\"0.2\""))
        #expect(before.points.count == 1 ? !text.hasPrefix("---") : text.components(separatedBy: "---\n").count - 1 == before.points.count)
        let back = try await tokenmeter(["runs", "import", report.path, "--format", "llmd"], environment: env)
        #expect(back.status == 0, "\(back.stderr)")
        let newID = try #require(back.stdout.split(separator: " ").first { $0.hasPrefix("r-") }.map(String.init))
        let after = try await Self.show(newID, env)
        #expect(after.provenance.imported?.format == "llmd 0.2")
        #expect(after.provenance.model == before.provenance.model)
        #expect(after.points.count == before.points.count)
        for (a, b) in zip(after.points, before.points) {
            #expect(a.label == b.label && a.concurrency == b.concurrency)
            let x = a.metrics, y = b.metrics
            #expect(x.requestsSucceeded == y.requestsSucceeded && x.requestsFailed == y.requestsFailed && x.requestsTotal == y.requestsTotal)
            #expect(x.gpus == y.gpus)
            for (u, v, what) in [(x.windowSeconds, y.windowSeconds, "window"), (x.outputTokensPerSecond, y.outputTokensPerSecond, "output tok/s"),
                                 (x.inputTokensPerSecond, y.inputTokensPerSecond, "input tok/s"), (x.requestsPerSecond, y.requestsPerSecond, "req/s"),
                                 (x.meanInputTokens, y.meanInputTokens, "mean input"), (x.meanOutputTokens, y.meanOutputTokens, "mean output")] {
                Self.same(u, v, "\(b.label) \(what)")
            }
            Self.sameDistribution(x.ttftMs, y.ttftMs, "\(b.label) ttft")
            Self.sameDistribution(x.tpotMs, y.tpotMs, "\(b.label) tpot")
            Self.sameDistribution(x.itlMs, y.itlMs, "\(b.label) itl")
            Self.sameDistribution(x.chunkGapMs, y.chunkGapMs, "\(b.label) chunk gap")
            Self.sameDistribution(x.e2eMs, y.e2eMs, "\(b.label) e2e")
            Self.same(x.interactivityMedian, y.interactivityMedian, "\(b.label) interactivity")
        }
        // Priced alike: the same run on the same GPU gives the same $/Mtok before and after.
        let compare = try await tokenmeter(["runs", "compare", id, newID, "--gpu", "h100"], environment: env)
        #expect(compare.status == 0 && compare.stdout.contains("+0.000 (+0.0%)"), "\(compare.stdout)\(compare.stderr)")
    }

    @Test func aV02ReportTokenmeterDidNotWriteIsRead() async throws {
        let (run, _, _) = try await ImportTests().importRun(["llmd-v0.2-example.yaml"], "llmd")
        let source = try #require(run.provenance.imported)
        #expect(source.tool == "inference-perf" && source.toolVersion == "0.2.0" && source.format == "llmd 0.2")
        #expect(run.provenance.model == "Qwen/Qwen3-32B")
        let p = run.points[0], m = p.metrics
        #expect(p.rate == 3.4 && p.label == "rate=3.4/s")
        #expect(m.requestsSucceeded == 12031 && m.requestsFailed == 0 && m.windowSeconds == 1800)
        #expect(m.ttftMs?.p50 == 420 && m.ttftMs?.p99 == 9100 && m.ttftMs?.p90.isNaN == true)
        // s/token becomes ms.
        #expect(abs((m.tpotMs?.p90 ?? 0) - 27) < 1e-9 && abs((m.tpotMs?.mean ?? 0) - 21) < 1e-9)
        #expect(m.outputTokensPerSecond == 1165 && m.requestsPerSecond == 3.4 && m.meanInputTokens == 12035.1 && m.meanOutputTokens == 343)
        #expect(source.notProvided.contains("e2e_ms") && source.notProvided.contains("ttft_ms.p90"))
    }

    @Test func aV01ReportIsRead() async throws {
        let (run, _, _) = try await ImportTests().importRun(["llmd-v0.1-example.yaml"], "llmd")
        let source = try #require(run.provenance.imported)
        #expect(source.tool == "vllm-benchmark" && source.format == "llmd 0.1")
        #expect(run.provenance.model == "meta-llama/Llama-3.1-8B-Instruct")
        let p = run.points[0], m = p.metrics
        #expect(p.label == "c=32" && m.gpus == 2)
        #expect(m.requestsSucceeded == 638 && m.requestsFailed == 2 && m.windowSeconds == 80)
        #expect(abs((m.ttftMs?.p50 ?? 0) - 74.3) < 1e-9 && abs((m.e2eMs?.p99 ?? 0) - 3702) < 1e-9 && abs((m.tpotMs?.p90 ?? 0) - 17.2) < 1e-9)
        #expect(m.outputTokensPerSecond == 1591.8 && m.inputTokensPerSecond == 7975)
    }

    @Test func aNewerVersionNamesItsVersionAndTheFieldsItCouldNotReadAndImportsNothing() async throws {
        let dir = scratch()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        var text = try String(contentsOf: Self.fixtures.appendingPathComponent("llmd-v0.2-example.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "version: '0.2'", with: "version: '0.3'")
            .replacingOccurrences(of: "      requests: {total: 12031", with: "      goodput: {units: queries/s, mean: 3.1}\n      requests: {count: 12031")
        // A stream whose first report is fine and second is newer: nothing is imported.
        let good = try String(contentsOf: Self.fixtures.appendingPathComponent("llmd-v0.2-example.yaml"), encoding: .utf8)
        let file = dir.appendingPathComponent("newer.yaml")
        try ("---\n" + good + "\n---\n" + text).write(to: file, atomically: true, encoding: .utf8)
        let r = try await tokenmeter(["runs", "import", file.path, "--format", "llmd"], environment: env)
        #expect(r.status == 2)
        #expect(r.stderr.contains("document 2") && r.stderr.contains("version 0.3") && r.stderr.contains("reads 0.1, 0.2, 0.2.1"), "\(r.stderr)")
        for field in ["results.request_performance.aggregate.goodput", "results.request_performance.aggregate.requests.count",
                      "results.request_performance.aggregate.requests.total"] {
            #expect(r.stderr.contains(field), "\(field) not named: \(r.stderr)")
        }
        #expect(r.stderr.contains("nothing was imported"))
        let list = try await tokenmeter(["runs", "list", "--json"], environment: env)
        #expect(!list.stdout.contains("\"id\""), "\(list.stdout)")
    }

    @Test func aNewerGuideLLMReportThatMovedAFieldNamesItsVersionAndTheField() async throws {
        let dir = scratch()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = try String(contentsOf: Self.fixtures.appendingPathComponent("peers/guidellm-benchmarks.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"version\": 2,", with: "\"version\": 3,")
            .replacingOccurrences(of: "\"time_to_first_token_ms\":", with: "\"ttft_ms\":")
        let file = dir.appendingPathComponent("benchmarks.json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let r = try await tokenmeter(["runs", "import", file.path, "--format", "guidellm"],
                                     environment: ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("declares version 3") && r.stderr.contains("metrics.time_to_first_token_ms.successful"), "\(r.stderr)")
    }
}
