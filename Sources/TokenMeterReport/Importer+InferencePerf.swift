import Foundation
import TokenMeterCore
import TokenMeterResults

extension Importer {
    /// What inference-perf files are read (they carry no version of their own).
    static let inferencePerfVersions = "inference-perf lifecycle reports (stage_N_ and summary_lifecycle_metrics.json, inference-perf 0.x)"

    /// The fields a lifecycle report must have.
    static let inferencePerfFields = [
        "successes.count", "successes.latency.time_to_first_token", "successes.latency.request_latency",
        "successes.throughput.output_tokens_per_sec", "failures.count",
    ]

    /// An inference-perf `stage_N_lifecycle_metrics.json` or `summary_lifecycle_metrics.json`: one point. Times are in
    /// seconds; a distribution is `{mean, min, max, p0.1 … median … p99.9}`.
    static func inferencePerf(_ json: JSONValue, index: Int, gpus: Int, path: String) throws -> FileRead {
        try requireFields(json, inferencePerfFields, path: path, what: "inference-perf lifecycle report", version: nil, known: inferencePerfVersions)
        let successes = json["successes"], load = json["load_summary"]
        let requests = try count(successes?["count"]?.doubleValue ?? 0, "successes.count")
        func latency(_ name: String) -> JSONValue? { statistics(successes?["latency"]?[name], scale: 1000, count: requests) }
        let throughput = successes?["throughput"]
        let concurrency = try load?["concurrency"]?.doubleValue.map { try count($0, "load_summary.concurrency") }
        var f = Figures(label: "", concurrency: concurrency)
        // A concurrent stage also states the rate it worked out; only a rate stage is driven by it.
        f.rate = concurrency == nil ? load?["requested_rate"]?.doubleValue : nil
        let stage = URL(fileURLWithPath: path).lastPathComponent.split(separator: "_").dropFirst().first.map(String.init)
        f.label = f.loadLabel(or: "stage \(stage ?? String(index))")
        f.requests = requests
        f.failed = try count(json["failures"]?["count"]?.doubleValue ?? 0, "failures.count")
        f.gpus = gpus
        f.windowSeconds = json["benchmark_time_seconds"]?.doubleValue ?? load?["send_duration"]?.doubleValue ?? 0
        f.outputPerSecond = throughput?["output_tokens_per_sec"]?.doubleValue ?? 0
        f.inputPerSecond = throughput?["input_tokens_per_sec"]?.doubleValue ?? 0
        f.requestsPerSecond = throughput?["requests_per_sec"]?.doubleValue
        // Token counts as the server's usage reported them (inference-perf's output_tokens; output_len is its re-tokenized count).
        f.meanInput = successes?["prompt_tokens"]?["mean"]?.doubleValue ?? 0
        f.meanOutput = successes?["output_tokens"]?["mean"]?.doubleValue ?? successes?["output_len"]?["mean"]?.doubleValue ?? 0
        f.ttft = latency("time_to_first_token")
        f.tpot = latency("time_per_output_token")
        // inference-perf's inter_token_latency is every gap between consecutive streamed chunks: tokenmeter's chunk gap.
        f.chunkGap = latency("inter_token_latency")
        f.e2e = latency("request_latency")
        return FileRead(points: [try point(index: index, f)], tool: "inference-perf")
    }
}
