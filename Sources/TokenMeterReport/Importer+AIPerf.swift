import Foundation
import TokenMeterCore
import TokenMeterResults

extension Importer {
    /// One AIPerf `profile_export_aiperf.json`: each metric an object with `unit`, `avg`, `p1`…`p99`, `min`, `max`, `std`.
    static func aiperfFile(_ json: JSONValue, index: Int, gpus: Int, path: String) throws -> FileRead {
        // AIPerf 0.13: input_config.models.items[].name; earlier versions: endpoint.model_names.
        let model = firstString(json["input_config"]?["models"], key: "name") ?? firstString(json["input_config"], key: "model_names")
        return FileRead(points: [try aiperf(json, index: index, gpus: gpus, path: path)], model: model, tool: "AIPerf",
                        toolVersion: firstString(json, key: "aiperf_version") ?? firstString(json, key: "version"))
    }

    static func aiperf(_ json: JSONValue, index: Int, gpus: Int, path: String) throws -> PointResult {
        func stat(_ tag: String, _ key: String) -> Double? { json[tag]?[key]?.doubleValue }
        func scale(_ tag: String) -> Double {
            switch json[tag]?["unit"]?.stringValue ?? "ms" {
            case "ns": 1e-6
            case "us", "µs": 1e-3
            case "s", "sec": 1000
            default: 1
            }
        }
        func distribution(_ tag: String) -> JSONValue? {
            let k = scale(tag)
            return summary(count: (try? count(stat("request_count", "avg") ?? 0, "request_count")) ?? 0, mean: stat(tag, "avg").map { $0 * k },
                           min: stat(tag, "min").map { $0 * k }, max: stat(tag, "max").map { $0 * k }, p50: stat(tag, "p50").map { $0 * k },
                           p90: stat(tag, "p90").map { $0 * k }, p95: stat(tag, "p95").map { $0 * k }, p99: stat(tag, "p99").map { $0 * k })
        }
        guard json["time_to_first_token"] != nil || json["request_latency"] != nil else {
            throw ConfigError(field: "import", message: "'\(path)' has no time_to_first_token or request_latency: not an AIPerf profile_export_aiperf.json")
        }
        let concurrency = firstInt(json["input_config"], key: "concurrency")
        var f = Figures(label: concurrency.map { "c=\($0)" } ?? "aiperf \(index + 1)", concurrency: concurrency)
        f.requests = try count(stat("request_count", "avg") ?? stat("completed_request_count", "avg") ?? 0, "request_count")
        f.failed = try count(stat("error_request_count", "avg") ?? 0, "error_request_count")
        f.gpus = gpus
        f.windowSeconds = stat("benchmark_duration", "avg") ?? 0
        f.outputPerSecond = stat("output_token_throughput", "avg") ?? 0
        f.meanInput = stat("input_sequence_length", "avg") ?? 0
        f.meanOutput = stat("output_sequence_length", "avg") ?? 0
        f.requestsPerSecond = stat("request_throughput", "avg")
        f.inputPerSecond = stat("input_token_throughput", "avg")
            ?? (f.requestsPerSecond ?? (f.windowSeconds > 0 ? Double(f.requests) / f.windowSeconds : 0)) * f.meanInput
        f.ttft = distribution("time_to_first_token")
        // AIPerf's inter-token latency per request is (E2E − TTFT) / (OSL − 1): the same definition as tokenmeter's TPOT.
        f.tpot = distribution("inter_token_latency")
        f.chunkGap = distribution("inter_chunk_latency")
        f.e2e = distribution("request_latency")
        return try point(index: index, f)
    }
}
