import Foundation
import Testing
import TokenMeterCore
import TokenMeterResults
import TokenMeterTestSupport

/// Result files made by the real tools (scripts/peer-results: tokenmeter, AIPerf 0.13.0, GuideLLM 0.8.1, vLLM 0.34.0's bench
/// serve client and inference-perf 0.7.0 against the same llama.cpp server, versions in Fixtures/peers/VERSIONS) import to the counts, percentiles and
/// throughput each tool printed itself: the tests read the figures from the tool's own console output beside its file.
@Suite struct PeerImportTests {
    static let peers = ImportTests.fixtures.appendingPathComponent("peers")

    /// The numbers of one printed table row: the first row after the line `title` whose first cell is `first`. Cells are
    /// split at box-drawing or ASCII bars; "6.9 ± 0.6" reads 6.9, "10.6*" 10.6, "1,046.00" 1046, "N/A" nil.
    static func printed(_ tool: String, title: String, row first: String) throws -> [Double?] {
        let text = try String(contentsOf: peers.appendingPathComponent("\(tool).stdout"), encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == title }, "\(tool) printed no '\(title)'")
        for line in lines[start...] {
            let cells = line.split(whereSeparator: { "│┃|".contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.first == first else { continue }
            return cells.dropFirst().map { cell in
                let number = cell.split(separator: "±").first.map(String.init)?.replacingOccurrences(of: ",", with: "")
                    .replacingOccurrences(of: "*", with: "").replacingOccurrences(of: "%", with: "").trimmingCharacters(in: .whitespaces)
                return number.flatMap(Double.init)
            }
        }
        Issue.record("\(tool): no row '\(first)' after '\(title)'")
        return []
    }

    /// `value` as printed with `decimals` places.
    static func same(_ value: Double?, _ printed: Double?, decimals: Int, _ what: String) {
        guard let value, let printed else { Issue.record("\(what): \(String(describing: value)) against printed \(String(describing: printed))"); return }
        let half = 0.5 * pow(10, -Double(decimals)) + 1e-9
        #expect(abs(value - printed) <= half, "\(what): imported \(value), the tool printed \(printed)")
    }

    @Test func guidellmImportMatchesWhatGuideLLMPrinted() async throws {
        let (run, _, _) = try await ImportTests().importRun(["peers/guidellm-benchmarks.json"], "guidellm")
        #expect(run.points.count == 1 && run.points[0].label == "c=4" && run.provenance.model == "tiny-qwen2")
        let source = try #require(run.provenance.imported)
        #expect(source.tool == "GuideLLM" && source.toolVersion == "0.8.1")
        #expect(source.mapping.contains { $0.tokenmeter == "tpot_ms" && $0.tool.hasPrefix("inter_token_latency_ms") })
        #expect(source.notProvided.contains("chunk_gap_ms") && source.notProvided.contains("itl_ms"))
        let m = run.points[0].metrics
        #expect(m.requestsSucceeded == 32 && m.requestsFailed == 0 && m.meanInputTokens == 128 && m.meanOutputTokens == 32)
        // Request Latency Statistics: latency (s) mean, median, p95; TTFT (ms) mean, median, p95; TTFOT ×3; ITL ×3; TPOT ×3.
        let latency = try Self.printed("guidellm", title: "ℹ Request Latency Statistics (Completed Requests)", row: "concurrent@4")
        Self.same(m.e2eMs.map { $0.mean / 1000 }, latency[0], decimals: 1, "E2E mean s")
        Self.same(m.e2eMs.map { $0.p50 / 1000 }, latency[1], decimals: 1, "E2E median s")
        Self.same(m.ttftMs?.mean, latency[3], decimals: 1, "TTFT mean")
        Self.same(m.ttftMs?.p50, latency[4], decimals: 1, "TTFT median")
        Self.same(m.ttftMs?.p95, latency[5], decimals: 1, "TTFT p95")
        Self.same(m.tpotMs?.mean, latency[9], decimals: 1, "GuideLLM ITL mean (tokenmeter TPOT)")
        Self.same(m.tpotMs?.p50, latency[10], decimals: 1, "GuideLLM ITL median")
        Self.same(m.tpotMs?.p95, latency[11], decimals: 1, "GuideLLM ITL p95")
        // Server Throughput Statistics: concurrency median, mean; requests/s; input, output, total tokens/s.
        let throughput = try Self.printed("guidellm", title: "ℹ Server Throughput Statistics (All Requests)", row: "concurrent@4")
        Self.same(m.meanConcurrency, throughput[1], decimals: 1, "mean concurrency")
        Self.same(m.requestsPerSecond, throughput[2], decimals: 1, "requests/s")
        Self.same(m.inputTokensPerSecond, throughput[3], decimals: 1, "input tok/s")
        Self.same(m.outputTokensPerSecond, throughput[4], decimals: 1, "output tok/s")
        Self.same(m.totalTokensPerSecond, throughput[5], decimals: 1, "total tok/s")
    }

    @Test func aiperfImportMatchesWhatAIPerfPrinted() async throws {
        let (run, _, _) = try await ImportTests().importRun(["peers/aiperf-profile_export_aiperf.json"], "aiperf")
        let source = try #require(run.provenance.imported)
        #expect(source.tool == "AIPerf" && source.toolVersion == "0.13.0")
        let m = run.points[0].metrics
        let title = "NVIDIA AIPerf | LLM Metrics"
        // Columns: avg, min, max, p99, p90, p50, std.
        func check(_ d: Distribution?, _ row: String) throws {
            let p = try Self.printed("aiperf", title: title, row: row)
            for (value, printed, what) in [(d?.mean, p[0], "avg"), (d?.min, p[1], "min"), (d?.max, p[2], "max"), (d?.p99, p[3], "p99"),
                                           (d?.p90, p[4], "p90"), (d?.p50, p[5], "p50")] {
                Self.same(value, printed, decimals: 2, "\(row) \(what)")
            }
        }
        try check(m.ttftMs, "Time to First Token (ms)")
        try check(m.e2eMs, "Request Latency (ms)")
        try check(m.tpotMs, "Inter Token Latency (ms)")
        Self.same(m.outputTokensPerSecond, try Self.printed("aiperf", title: title, row: "Output Token Throughput (tokens/sec)")[0], decimals: 2, "output tok/s")
        Self.same(m.inputTokensPerSecond, try Self.printed("aiperf", title: title, row: "Input Token Throughput (tokens/sec)")[0], decimals: 2, "input tok/s")
        Self.same(m.requestsPerSecond, try Self.printed("aiperf", title: title, row: "Request Throughput (requests/sec)")[0], decimals: 2, "requests/s")
        Self.same(Double(m.requestsSucceeded), try Self.printed("aiperf", title: title, row: "Request Count (requests)")[0], decimals: 2, "requests")
        // AIPerf counts requests that failed on a connection the server had closed as errors; they are failures here too.
        Self.same(Double(m.requestsTotal), try Self.printed("aiperf", title: title, row: "Completed Requests (Success + Error)")[0], decimals: 2, "total")
    }

    @Test func inferencePerfImportMatchesWhatInferencePerfPrinted() async throws {
        let (run, _, _) = try await ImportTests().importRun(["peers/inference-perf-stage_0_lifecycle_metrics.json"], "inference-perf",
                                                            ["--model", "tiny-qwen2"])
        let source = try #require(run.provenance.imported)
        #expect(source.tool == "inference-perf" && run.provenance.model == "tiny-qwen2" && run.points[0].label == "c=4")
        #expect(source.mapping.contains { $0.tokenmeter == "chunk_gap_ms" && $0.tool.hasSuffix("inter_token_latency") })
        let m = run.points[0].metrics
        // Request & Token Latency (ms): request latency mean, median, p90; TTFT ×3; ITL ×3.
        let latency = try Self.printed("inference-perf", title: "Request & Token Latency (ms)", row: "0")
        for (i, d, name) in [(0, m.e2eMs, "request latency"), (3, m.ttftMs, "TTFT"), (6, m.chunkGapMs, "ITL (tokenmeter chunk gap)")] {
            Self.same(d?.mean, latency[i], decimals: 1, "\(name) mean")
            Self.same(d?.p50, latency[i + 1], decimals: 1, "\(name) median")
            Self.same(d?.p90, latency[i + 2], decimals: 1, "\(name) p90")
        }
        let speed = try Self.printed("inference-perf", title: "Token Generation Speed (ms)", row: "0")
        Self.same(m.tpotMs?.mean, speed[0], decimals: 1, "TPOT mean")
        Self.same(m.tpotMs?.p50, speed[1], decimals: 1, "TPOT median")
        Self.same(m.tpotMs?.p90, speed[2], decimals: 1, "TPOT p90")
        // Throughput and Goodput Summary: requested rate, achieved rate, error rate, req/s, input, output, total tokens/s.
        let throughput = try Self.printed("inference-perf", title: "Throughput and Goodput Summary", row: "0")
        Self.same(m.requestsPerSecond, throughput[3], decimals: 1, "requests/s")
        Self.same(m.inputTokensPerSecond, throughput[4], decimals: 1, "input tok/s")
        Self.same(m.outputTokensPerSecond, throughput[5], decimals: 1, "output tok/s")
        Self.same(m.totalTokensPerSecond, throughput[6], decimals: 1, "total tok/s")
        let errors = try Self.printed("inference-perf", title: "Request Error Summary", row: "0")
        #expect(Double(m.requestsSucceeded) == errors[0] && Double(m.requestsFailed) == errors[1])
    }

    @Test func vllmImportMatchesWhatVLLMPrinted() async throws {
        let (run, _, _) = try await ImportTests().importRun(["peers/vllm-bench-serve.json"], "vllm")
        let source = try #require(run.provenance.imported)
        #expect(source.tool == "vLLM bench serve" && run.provenance.model == "tiny-qwen2" && run.points[0].label == "c=4")
        let m = run.points[0].metrics
        let text = try String(contentsOf: Self.peers.appendingPathComponent("vllm.stdout"), encoding: .utf8)
        /// The number vLLM printed after `label:` (its summary is one "label: value" per line).
        func printed(_ label: String) -> Double? {
            text.components(separatedBy: "\n").first { $0.hasPrefix(label + ":") }
                .flatMap { Double($0.dropFirst(label.count + 1).trimmingCharacters(in: .whitespaces)) }
        }
        #expect(Double(m.requestsSucceeded) == printed("Successful requests") && Double(m.requestsFailed) == printed("Failed requests"))
        Self.same(m.windowSeconds, printed("Benchmark duration (s)"), decimals: 2, "duration")
        Self.same(m.outputTokensPerSecond, printed("Output token throughput (tok/s)"), decimals: 2, "output tok/s")
        Self.same(m.totalTokensPerSecond, printed("Total token throughput (tok/s)"), decimals: 2, "total tok/s")
        // The per-request arrays (--save-detailed) give the exact distributions vLLM summarised.
        for (d, name) in [(m.ttftMs, "TTFT"), (m.tpotMs, "TPOT"), (m.chunkGapMs, "ITL")] {
            Self.same(d?.mean, printed("Mean \(name) (ms)"), decimals: 2, "\(name) mean")
            Self.same(d?.p50, printed("Median \(name) (ms)"), decimals: 2, "\(name) median")
            Self.same(d?.p99, printed("P99 \(name) (ms)"), decimals: 2, "\(name) p99")
        }
    }

    /// The done-means of the formats issue: GuideLLM, AIPerf, inference-perf and vLLM results from one llama.cpp server, and
    /// tokenmeter's own run of it, in one report priced on one GPU profile, rendered by a real browser.
    @Test func fourPeersAndATokenmeterRunShareOneReportPricedOnOneProfile() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        var ids: [String] = []
        for (file, format) in [("guidellm-benchmarks.json", "guidellm"), ("aiperf-profile_export_aiperf.json", "aiperf"),
                               ("inference-perf-stage_0_lifecycle_metrics.json", "inference-perf"), ("vllm-bench-serve.json", "vllm"),
                               ("tokenmeter-result.json", "tokenmeter")] {
            let r = try await tokenmeter(["runs", "import", Self.peers.appendingPathComponent(file).path, "--format", format, "--model", "tiny-qwen2"],
                                         environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            ids += r.stdout.split(separator: " ").filter { $0.hasPrefix("r-") }.map(String.init)
        }
        #expect(ids.count == 5)
        let file = dir.appendingPathComponent("peers.html")
        let report = try await tokenmeter(["report"] + ids + ["-o", file.path, "--gpu", "h100", "--tier", "neocloud"], environment: env)
        #expect(report.status == 0, "\(report.stderr)")
        let dom = try await HeadlessBrowser.dom(file.absoluteString)
        for tool in ["GuideLLM 0.8.1", "AIPerf 0.13.0", "inference-perf", "vLLM bench serve", "tokenmeter 0.1.0"] { #expect(dom.contains(tool), "\(tool) missing") }
        // One cost basis for all four, and each run has its price.
        #expect(dom.components(separatedBy: "h100-neocloud, $").count - 1 >= 5, "not every run is priced on h100-neocloud")
        #expect(dom.contains("<h2>Imported results</h2>") && dom.contains("id=\"mapping-"))
        #expect(dom.contains("Not provided by GuideLLM: itl_ms, chunk_gap_ms"))
        for id in ["chart-throughput", "chart-cost"] { #expect(dom.contains("id=\"\(id)\""), "\(id) missing") }
        let compare = try await tokenmeter(["runs", "compare"] + ids + ["--gpu", "h100", "--tier", "neocloud"], environment: env)
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.stdout.components(separatedBy: "h100-neocloud").count - 1 >= 5, "\(compare.stdout)")
    }
}
