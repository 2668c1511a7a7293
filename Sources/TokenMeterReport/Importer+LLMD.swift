import Foundation
import TokenMeterCore
import TokenMeterResults

/// llm-d Benchmark Reports (llm-d-benchmark's `benchmark_report`): v0.1 (`scenario` + `metrics`) and v0.2 / v0.2.1 (`run`,
/// `scenario`, `results`), as YAML or JSON, one report per document (a YAML stream of several gives several points). A report
/// of another version is refused, naming its version and every field the v0.2.1 schema does not have.
extension Importer {
    /// The versions read.
    static let llmdVersions = ["0.1", "0.2", "0.2.1"]

    static func llmd(_ bytes: [UInt8], index: Int, gpus: Int, path: String) throws -> FileRead {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let documents = try YAMLDocument.jsonDocuments(String(decoding: bytes, as: UTF8.self), source: "'\(path)'").filter { !$0.isNull }
        guard !documents.isEmpty else { throw ConfigError(field: "import", message: "'\(path)' holds no report") }
        // Check every document before reading any, so a stream with one bad report imports nothing.
        for (n, document) in documents.enumerated() { try llmdCheckVersion(document, path: documents.count > 1 ? "\(name) document \(n + 1)" : path) }
        var read = FileRead()
        for document in documents {
            let version = llmdVersion(document) ?? ""
            let point = version == "0.1" ? try llmdV01(document, index: index + read.points.count, gpus: gpus, read: &read)
                : try llmdV02(document, index: index + read.points.count, gpus: gpus, read: &read)
            read.points.append(point)
            read.formatVersion = read.formatVersion ?? version
        }
        return read
    }

    static func llmdVersion(_ document: JSONValue) -> String? {
        document["version"].flatMap { $0.stringValue ?? $0.doubleValue.map { String($0) } }
    }

    /// A known version, or an error that names the version and what could not be read: for a report that says it is newer,
    /// every field the v0.2.1 schema does not have and every field it requires that is missing.
    static func llmdCheckVersion(_ document: JSONValue, path: String) throws(ConfigError) {
        guard case .object = document else {
            throw ConfigError(field: "import", message: "'\(path)' is not an llm-d Benchmark Report: a report is a mapping with a version")
        }
        guard let version = llmdVersion(document) else {
            throw ConfigError(field: "import", message: "'\(path)' has no version: not an llm-d Benchmark Report (this tokenmeter reads "
                              + "\(llmdVersions.joined(separator: ", ")))")
        }
        if llmdVersions.contains(version) {
            let required = version == "0.1" ? ["scenario", "metrics.requests.total"] : ["run", "results.request_performance.aggregate.requests.total"]
            try requireFields(document, required, path: path, what: "llm-d Benchmark Report", version: version, known: llmdVersions.joined(separator: ", "))
            return
        }
        let findings = (try? JSONSchemaCheck.bundled("llmd-benchmark-report-v0.2.1.schema"))?.findings(in: document) ?? []
        let unread = findings.filter { $0.unknownField || $0.problem.contains("required") }.map(\.path).filter { $0 != "version" }
        throw ConfigError(field: "import", message: "'\(path)' is an llm-d Benchmark Report of version \(version); this tokenmeter reads "
                          + "\(llmdVersions.joined(separator: ", "))"
                          + (unread.isEmpty ? "" : ", and could not read \(unread.prefix(12).joined(separator: ", "))\(unread.count > 12 ? " and \(unread.count - 12) more" : "")")
                          + "; nothing was imported")
    }

    /// A Statistics object in milliseconds (`s` and `s/token` scaled), nil when absent or in units that are not a time.
    static func llmdTime(_ s: JSONValue?, count: Int) -> JSONValue? {
        let scale: Double
        switch s?["units"]?.stringValue {
        case "ms", "ms/token": scale = 1
        case "s", "s/token": scale = 1000
        default: return nil
        }
        return statistics(s, scale: scale, count: count)
    }

    /// ISO 8601 duration (`PT49.97S`, `PT1M30S`, `P1DT2H`) in seconds.
    static func isoDuration(_ text: String?) -> Double? {
        guard let text, text.hasPrefix("P") else { return nil }
        var total = 0.0, number = "", inTime = false
        for c in text.dropFirst() {
            if c == "T" { inTime = true; continue }
            if c.isNumber || c == "." { number.append(c); continue }
            guard let v = Double(number) else { return nil }
            number = ""
            switch (c, inTime) {
            case ("D", false): total += v * 86400
            case ("H", true): total += v * 3600
            case ("M", true): total += v * 60
            case ("S", true): total += v
            default: return nil
            }
        }
        return number.isEmpty ? total : nil
    }

    /// The request counts (succeeded = total − failures − incomplete) and the four latencies, the same in v0.1 and v0.2.
    static func llmdRequestsAndLatency(_ requests: JSONValue?, _ latency: JSONValue?, into f: inout Figures) throws {
        let total = try count(requests?["total"]?.doubleValue ?? 0, "requests.total")
        let failed = try count(requests?["failures"]?.doubleValue ?? 0, "requests.failures")
        let incomplete = try count(requests?["incomplete"]?.doubleValue ?? 0, "requests.incomplete")
        guard failed + incomplete <= total else {
            throw ConfigError(field: "import", message: "requests.failures (\(failed)) and incomplete (\(incomplete)) exceed requests.total (\(total))")
        }
        f.requests = total - failed - incomplete
        f.failed = failed
        f.ttft = llmdTime(latency?["time_to_first_token"], count: f.requests)
        f.tpot = llmdTime(latency?["time_per_output_token"], count: f.requests)
        f.itl = llmdTime(latency?["inter_token_latency"], count: f.requests)
        f.e2e = llmdTime(latency?["request_latency"], count: f.requests)
    }

    static func llmdV02(_ r: JSONValue, index: Int, gpus: Int, read: inout FileRead) throws -> PointResult {
        let aggregate = value(r, at: "results.request_performance.aggregate")
        let requests = aggregate?["requests"], latency = aggregate?["latency"], throughput = aggregate?["throughput"]
        let load = value(r, at: "scenario.load.standardized")
        let engine = (r["scenario"]?["stack"]?.arrayValue ?? []).map { $0["standardized"] }.first { $0?["kind"]?.stringValue == "inference_engine" } ?? nil
        let extras = value(r, at: "metadata.tokenmeter")
        read.tool = read.tool ?? load?["tool"]?.stringValue
        read.toolVersion = read.toolVersion ?? load?["tool_version"]?.stringValue
        read.model = read.model ?? engine?["model"]?["name"]?.stringValue
        read.hardware = read.hardware ?? engine?["accelerator"]?["model"]?.stringValue
        read.engine = read.engine ?? engine?["tool"]?.stringValue
        var f = Figures(label: "")
        try llmdRequestsAndLatency(requests, latency, into: &f)
        f.concurrency = load?["concurrency"]?.doubleValue.flatMap { $0.isFinite && $0 >= 1 && $0 < 1e9 ? Int($0) : nil }
        f.rate = load?["rate_qps"]?.doubleValue
        let stage = load?["stage"]?.intValue
        f.label = extras?["point_label"]?.stringValue ?? f.loadLabel(or: "stage \(stage ?? index)")
        f.gpus = extras?["gpus"]?.intValue ?? engine?["accelerator"]?["count"]?.intValue ?? gpus
        f.windowSeconds = extras?["window_s"]?.doubleValue ?? isoDuration(value(r, at: "run.time.duration")?.stringValue) ?? 0
        f.outputPerSecond = throughput?["output_token_rate"]?["mean"]?.doubleValue ?? 0
        f.inputPerSecond = throughput?["input_token_rate"]?["mean"]?.doubleValue ?? 0
        f.requestsPerSecond = throughput?["request_rate"]?["mean"]?.doubleValue
        f.meanInput = requests?["input_length"]?["mean"]?.doubleValue ?? load?["input_seq_len"]?["value"]?.doubleValue ?? 0
        f.meanOutput = requests?["output_length"]?["mean"]?.doubleValue ?? load?["output_seq_len"]?["value"]?.doubleValue ?? 0
        f.chunkGap = llmdTime(extras?["chunk_gap"], count: f.requests)
        return try point(index: index, f)
    }

    static func llmdV01(_ r: JSONValue, index: Int, gpus: Int, read: inout FileRead) throws -> PointResult {
        let metrics = r["metrics"], scenario = r["scenario"]
        let requests = metrics?["requests"], latency = metrics?["latency"], throughput = metrics?["throughput"]
        read.tool = read.tool ?? scenario?["load"]?["name"]?.stringValue
        read.model = read.model ?? scenario?["model"]?["name"]?.stringValue
        let accelerator = scenario?["host"]?["accelerator"]?[0]
        read.hardware = read.hardware ?? accelerator?["model"]?.stringValue
        read.engine = read.engine ?? scenario?["platform"]?["engine"]?[0]?["name"]?.stringValue
        read.toolVersion = read.toolVersion ?? scenario?["load"]?["metadata"]?["version"]?.stringValue
        var f = Figures(label: "")
        try llmdRequestsAndLatency(requests, latency, into: &f)
        f.concurrency = firstInt(scenario?["load"]?["args"], key: "max_concurrency") ?? firstInt(scenario?["load"]?["args"], key: "concurrency")
        f.rate = find(scenario?["load"]?["args"], key: "request_rate")?.doubleValue.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        f.label = f.loadLabel(or: "llm-d \(index + 1)")
        f.gpus = accelerator?["count"]?.intValue ?? gpus
        f.windowSeconds = metrics?["time"]?["duration"]?.doubleValue ?? 0
        // In v0.1 throughput figures are plain numbers.
        f.outputPerSecond = throughput?["output_tokens_per_sec"]?.doubleValue ?? 0
        f.inputPerSecond = throughput?["input_tokens_per_sec"]?.doubleValue ?? 0
        f.requestsPerSecond = throughput?["requests_per_sec"]?.doubleValue
        f.meanInput = requests?["input_length"]?["mean"]?.doubleValue ?? 0
        f.meanOutput = requests?["output_length"]?["mean"]?.doubleValue ?? 0
        return try point(index: index, f)
    }
}
