import Foundation
import TokenMeterCore
import TokenMeterResults

extension Importer {
    /// A vLLM result file: one point.
    static func vllmFile(_ json: JSONValue, index: Int, gpus: Int, path: String) throws -> FileRead {
        FileRead(points: [try vllm(json, index: index, gpus: gpus, path: path)], model: json["model_id"]?.stringValue, engine: "vllm",
                 tool: "vLLM bench serve", toolVersion: json["vllm_version"]?.stringValue ?? json["version"]?.stringValue)
    }

    /// One vLLM `bench serve --save-result` JSON: `mean_/median_/std_/pNN_` of ttft, tpot, itl and e2el in ms, throughput
    /// totals, and with `--save-detailed` the per-request `ttfts`, `itls`, `input_lens` and `output_lens` (seconds and tokens).
    static func vllm(_ json: JSONValue, index: Int, gpus: Int, path: String) throws -> PointResult {
        func number(_ key: String) -> Double? { json[key]?.doubleValue }
        guard let duration = number("duration"), let completed = number("completed") else {
            throw ConfigError(field: "import", message: "'\(path)' has no duration or completed: not a vLLM bench serve result")
        }
        guard duration.isFinite, duration > 0 else { throw ConfigError(field: "import", message: "'\(path)': duration \(duration) is not a positive time") }
        func stats(_ name: String) -> JSONValue? {
            summary(count: (try? count(completed, "completed")) ?? 0, mean: number("mean_\(name)_ms"), p50: number("median_\(name)_ms"),
                    p90: number("p90_\(name)_ms"), p95: number("p95_\(name)_ms"), p99: number("p99_\(name)_ms"))
        }
        var f = Figures(label: "", concurrency: try number("max_concurrency").map { try count($0, "max_concurrency") })
        f.ttft = stats("ttft")
        f.tpot = stats("tpot")
        // vLLM's ITL is the gap between consecutive streamed chunks: tokenmeter's chunk gap.
        f.chunkGap = stats("itl")
        f.e2e = stats("e2el")
        // Exact distributions from the per-request arrays, when saved.
        if case let .array(ttfts)? = json["ttfts"], case let .array(itls)? = json["itls"], case let .array(outs)? = json["output_lens"],
           ttfts.count == outs.count, itls.count == outs.count, !ttfts.isEmpty {
            // Each request's latency (to the end of its stream) when saved, as vLLM computes TPOT from it; else TTFT plus the gaps.
            let latencies = json["latencies"]?.arrayValue.flatMap { $0.count == ttfts.count ? $0 : nil }
            var ttftMs: [Double] = [], tpotMs: [Double] = [], gapMs: [Double] = [], e2eMs: [Double] = []
            for i in ttfts.indices {
                guard let first = ttfts[i].doubleValue, first > 0, let out = outs[i].doubleValue, out > 0 else { continue }  // failed requests
                let gaps: [Double] = { if case let .array(g) = itls[i] { return g.compactMap(\.doubleValue) } else { return [] } }()
                let latency = latencies?[i].doubleValue ?? first + gaps.reduce(0, +)
                ttftMs.append(first * 1000)
                gapMs += gaps.map { $0 * 1000 }
                e2eMs.append(latency * 1000)
                if out > 1 { tpotMs.append((latency - first) / (out - 1) * 1000) }
            }
            f.ttft = exact(ttftMs) ?? f.ttft
            f.chunkGap = exact(gapMs) ?? f.chunkGap
            f.e2e = exact(e2eMs) ?? f.e2e
            f.tpot = exact(tpotMs) ?? f.tpot
        }
        f.rate = number("request_rate").flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        f.windowSeconds = duration
        f.requests = try count(completed, "completed")
        f.failed = try count(number("failed") ?? 0, "failed")
        f.gpus = gpus
        f.outputPerSecond = (number("total_output_tokens") ?? 0) / duration
        f.inputPerSecond = (number("total_input_tokens") ?? 0) / duration
        f.meanInput = completed > 0 ? (number("total_input_tokens") ?? 0) / completed : 0
        f.meanOutput = completed > 0 ? (number("total_output_tokens") ?? 0) / completed : 0
        f.label = f.loadLabel(or: "vllm \(index + 1)")
        return try point(index: index, f)
    }
}
