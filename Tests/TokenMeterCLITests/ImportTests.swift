import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterResults

/// Other tools' files in their real formats become runs: AIPerf's profile_export_aiperf.json (produced by AIPerf 0.13.0
/// against the reference target, scripts/import-fixtures), vLLM bench serve result JSON (with and without --save-detailed,
/// keys as vLLM 0.33.0's benchmarks/serve.py writes them) and InferenceX aggregate records.
@Suite struct ImportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func importRun(_ files: [String], _ format: String, _ extra: [String] = []) async throws -> (RunResult, [String: String], String) {
        let dir = scratch()
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        let r = try await tokenmeter(["runs", "import"] + files.map { Self.fixtures.appendingPathComponent($0).path } + ["--format", format] + extra,
                                     environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let id = try #require(r.stdout.split(separator: " ").first { $0.hasPrefix("r-") }.map(String.init))
        let show = try await tokenmeter(["runs", "show", id, "--json"], environment: env)
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try decoder.decode(RunResult.self, from: Data(show.stdout.utf8)), env, id)
    }

    @Test func vllmDetailedResultsGiveExactDistributions() async throws {
        let (run, env, id) = try await importRun(["vllm-bench-serve-detailed.json", "vllm-bench-serve-summary.json"], "vllm", ["--gpus", "2", "--hardware", "h100"])
        #expect(run.points.count == 2)
        #expect(run.provenance.model == "Qwen/Qwen3-32B")
        let detailed = run.points[0].metrics
        #expect(run.points[0].label == "c=4")
        #expect(detailed.requestsSucceeded == 8 && detailed.meanOutputTokens == 32 && detailed.meanInputTokens == 128)
        // Exact from the per-request arrays: the smallest TTFT is the file's 39.8 ms, and p90 is known.
        #expect(abs((detailed.ttftMs?.min ?? 0) - 39.8) < 1e-6)
        #expect(detailed.ttftMs?.p90.isFinite == true)
        #expect(abs(detailed.outputTokensPerSecond - 256 / 1.9) < 1e-6)
        #expect(abs(detailed.outputTokensPerSecondPerGPU - 256 / 1.9 / 2) < 1e-6)
        // Summary only: what vLLM reported is kept, p90 stays unknown.
        let summary = run.points[1].metrics
        #expect(run.points[1].label == "c=8")
        #expect(summary.ttftMs?.p99.isFinite == true && summary.ttftMs?.p90.isNaN == true)
        #expect(summary.interactivityMedian != nil)
        // An imported run compares like a measured one.
        let list = try await tokenmeter(["runs", "list"], environment: env)
        #expect(list.stdout.contains("imported from vLLM bench serve") && list.stdout.contains(id))
    }

    @Test func inferenceXRecordsRoundTripThroughExport() async throws {
        let (run, env, id) = try await importRun(["inferencex-records.json"], "inferencex")
        #expect(run.points.map(\.label) == ["c=4", "c=16", "c=64"])
        #expect(run.provenance.model == "deepseek-r1")
        let first = run.points[0].metrics
        #expect(first.outputTokensPerSecondPerGPU == 180 && abs((first.ttftMs?.p50 ?? 0) - 120) < 1e-9)
        let exported = try await tokenmeter(["runs", "export", id, "--format", "inferencex", "--precision", "fp8", "--tp", "8", "--ep", "1",
                                             "--dp-attention", "false"], environment: env)
        let records = try JSONSerialization.jsonObject(with: Data(exported.stdout.utf8)) as? [[String: Any]] ?? []
        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("inferencex-records.json"))) as? [[String: Any]] ?? []
        #expect(records.count == 3)
        for (a, b) in zip(records, original) {
            for key in ["conc", "isl", "osl", "tp", "output_tput_per_gpu", "input_tput_per_gpu", "median_ttft", "p99_tpot", "median_e2el"] {
                let x = a[key] as? Double, y = b[key] as? Double
                #expect(x != nil && y != nil && abs(x! - y!) <= 1e-9 * max(1, abs(y!)), "\(key): \(String(describing: x)) vs \(String(describing: y))")
            }
            #expect(a["hw"] as? String == "h200" && a["framework"] as? String == "sglang")
        }
    }

    @Test func aiperfProfileExportIsRead() async throws {
        let (run, _, _) = try await importRun(["aiperf-profile_export_aiperf.json"], "aiperf")
        #expect(run.points.count == 1)
        let m = run.points[0].metrics
        #expect(m.requestsSucceeded > 0 && (m.ttftMs?.p50 ?? 0) > 0 && (m.tpotMs?.p50 ?? 0) > 0 && m.outputTokensPerSecond > 0)
        #expect(run.points[0].concurrency == 4 && run.points[0].label == "c=4")
        #expect(run.provenance.model == "tokenmeter-reference")
        #expect(m.requestsSucceeded == 24 && m.meanOutputTokens == 16)
        // AIPerf's p90 is kept (AIPerf reports p1…p99).
        #expect(m.ttftMs?.p90.isFinite == true && (m.ttftMs?.p90 ?? 0) >= (m.ttftMs?.p50 ?? 0))
    }

    @Test(arguments: [
        (["inferencex-records.json"], "aiperf"),
        (["vllm-bench-serve-summary.json"], "inferencex"),
        (["nonexistent.json"], "vllm"),
        (["vllm-bench-serve-summary.json"], "genai-perf"),
    ])
    func wrongFilesAreClearErrors(_ files: [String], _ format: String) async throws {
        let r = try await tokenmeter(["runs", "import"] + files.map { Self.fixtures.appendingPathComponent($0).path } + ["--format", format])
        #expect(r.status == 2, "\(r.stderr)")
        if format == "genai-perf" {
            // ArgumentParser lists the formats there are, one per line.
            #expect(r.stderr.contains("'genai-perf' is invalid for '--format") && r.stderr.contains("inference-perf") && r.stderr.contains("llmd"))
        } else {
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
    }
}
