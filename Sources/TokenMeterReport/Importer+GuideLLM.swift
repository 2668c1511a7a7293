import Foundation
import TokenMeterCore
import TokenMeterResults

extension Importer {
    /// The GuideLLM report versions (`metadata.version`) read here.
    static let guidellmVersions = "GuideLLM benchmarks reports of version 1 and 2 (GuideLLM 0.4 to 0.8)"

    /// The fields every GuideLLM benchmark must have.
    static let guidellmFields = [
        "metrics.request_totals.successful", "metrics.time_to_first_token_ms.successful", "metrics.inter_token_latency_ms.successful",
        "metrics.request_latency.successful", "metrics.output_tokens_per_second.total", "duration",
    ]

    /// A GuideLLM `benchmarks.json` (`guidellm run … --outputs json`): one point per benchmark. Statistics come as
    /// `{successful, errored, incomplete, total}`, each with `mean`, `median`, `min`, `max`, `count` and `percentiles`.
    static func guidellm(_ json: JSONValue, index: Int, gpus: Int, path: String) throws -> FileRead {
        let version = json["metadata"]?["version"].flatMap { $0.intValue.map(String.init) ?? $0.stringValue }
        guard case let .array(benchmarks)? = json["benchmarks"], !benchmarks.isEmpty else {
            throw ConfigError(field: "import", message: "'\(path)' has no benchmarks: not a GuideLLM benchmarks.json")
        }
        if let v = version, let n = Int(v), n > 2 {
            // A newer report: read it only if every field this reader needs is still where it was.
            for b in benchmarks { try requireFields(b, guidellmFields, path: path, what: "GuideLLM report", version: v, known: guidellmVersions) }
        }
        var read = FileRead(model: find(json["config"], key: "backend")?["model"]?.stringValue, tool: "GuideLLM",
                            toolVersion: json["metadata"]?["guidellm_version"]?.stringValue)
        for b in benchmarks {
            try requireFields(b, guidellmFields, path: path, what: "GuideLLM report", version: version, known: guidellmVersions)
            read.points.append(try guidellmBenchmark(b, index: index + read.points.count, gpus: gpus))
        }
        return read
    }

    static func guidellmBenchmark(_ b: JSONValue, index: Int, gpus: Int) throws -> PointResult {
        let m = b["metrics"]
        func stat(_ name: String, _ scope: String = "successful") -> JSONValue? { m?[name]?[scope] }
        let totals = m?["request_totals"]
        let requests = try count(totals?["successful"]?.doubleValue ?? 0, "request_totals.successful")
        let strategy = b["config"]?["strategy"]
        let kind = strategy?["type_"]?.stringValue ?? ""
        var f = Figures(label: "")
        switch kind {
        case "synchronous": f.concurrency = 1
        case "concurrent": f.concurrency = try strategy?["streams"]?.doubleValue.map { try count($0, "strategy.streams") }
        case "constant", "poisson": f.rate = strategy?["rate"]?.doubleValue
        default: break
        }
        f.label = f.loadLabel(or: kind.isEmpty ? "guidellm \(index + 1)" : kind)
        f.requests = requests
        f.failed = try count(totals?["errored"]?.doubleValue ?? 0, "request_totals.errored")
        f.gpus = gpus
        f.windowSeconds = b["duration"]?.doubleValue ?? 0
        // The throughput GuideLLM prints (its "Server Throughput Statistics (All Requests)" table) is the `total` scope.
        f.outputPerSecond = stat("output_tokens_per_second", "total")?["mean"]?.doubleValue ?? 0
        f.inputPerSecond = stat("prompt_tokens_per_second", "total")?["mean"]?.doubleValue ?? 0
        f.requestsPerSecond = stat("requests_per_second", "total")?["mean"]?.doubleValue
        f.meanConcurrency = stat("request_concurrency", "total")?["mean"]?.doubleValue
        f.meanInput = stat("prompt_token_count")?["mean"]?.doubleValue ?? 0
        f.meanOutput = stat("output_token_count")?["mean"]?.doubleValue ?? 0
        f.ttft = statistics(stat("time_to_first_token_ms"), scale: 1, count: requests)
        // GuideLLM's ITL is (latency − TTFT) / (output tokens − 1) per request: tokenmeter's TPOT. Its "TPOT" is latency / output
        // tokens, which tokenmeter does not report.
        f.tpot = statistics(stat("inter_token_latency_ms"), scale: 1, count: requests)
        f.e2e = statistics(stat("request_latency"), scale: 1000, count: requests)
        return try point(index: index, f)
    }
}
