import Foundation
import TokenMeterCore
import TokenMeterResults

/// Reads other tools' result files into a tokenmeter run, so published and peer numbers sit beside measured ones:
/// InferenceX aggregate records (an array, one record per point), AIPerf `profile_export_aiperf.json` (one file per point)
/// and vLLM `bench serve` result JSON (one file per point). Only what the file states is kept: percentiles a tool did not
/// report stay unknown (NaN, shown as "-"), and per-request arrays, when a file has them (vLLM `--save-detailed`), give exact
/// distributions.
public enum Importer {
    /// The formats.
    public enum Format: String, CaseIterable, Sendable {
        case inferencex, aiperf, vllm
    }

    /// A run read from files.
    public struct Imported: Sendable {
        /// The result, one point per record or file.
        public var result: RunResult
        /// GPU type, when the file says.
        public var hardware: String?
        /// Engine, when the file says.
        public var engine: String?
    }

    /// Reads files of one format into one run. `gpus` divides throughput per GPU where the file does not already give it.
    public static func load(paths: [String], format: Format, model: String?, gpus: Int) throws(ConfigError) -> Imported {
        var points: [PointResult] = []
        var hardware: String?, engine: String?, modelName = model
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError(field: "import", message: "cannot read '\(path)'") }
            let json: JSONValue
            do { json = try JSONValue.parse(Array(data)) } catch {
                throw ConfigError(field: "import", message: "'\(path)' is not JSON: \(error)")
            }
            do {
                switch format {
                case .inferencex:
                    let records: [JSONValue]
                    if case let .array(a) = json { records = a } else if case let .array(a)? = json["results"] { records = a } else { records = [json] }
                    for record in records {
                        hardware = hardware ?? record["hw"]?.stringValue
                        engine = engine ?? record["framework"]?.stringValue
                        modelName = modelName ?? record["model"]?.stringValue
                        points.append(try inferenceX(record, index: points.count))
                    }
                case .aiperf:
                    // AIPerf 0.13: input_config.models.items[].name; earlier versions: endpoint.model_names.
                    modelName = modelName ?? firstString(json["input_config"]?["models"], key: "name")
                        ?? firstString(json["input_config"], key: "model_names")
                    points.append(try aiperf(json, index: points.count, gpus: gpus, path: path))
                case .vllm:
                    modelName = modelName ?? json["model_id"]?.stringValue
                    engine = engine ?? "vllm"
                    points.append(try vllm(json, index: points.count, gpus: gpus, path: path))
                }
            } catch let error as ConfigError {
                throw error
            } catch {
                throw ConfigError(field: "import", message: "'\(path)' does not read as \(format.rawValue): \(error)")
            }
        }
        guard !points.isEmpty else { throw ConfigError(field: "import", message: "no points in \(paths.joined(separator: ", "))") }
        let result = RunResult(
            schema: ToolInfo.resultSchema,
            provenance: Provenance(toolVersion: ToolInfo.version, targetURL: "imported:\(format.rawValue)", targetKind: "imported (\(format.rawValue))",
                                   model: modelName ?? "unknown", serverModels: [], host: "", gpus: gpus,
                                   startedAt: ISO8601DateFormatter().string(from: Date()), promptLengthSource: "as reported by \(format.rawValue)"),
            config: RunSettings(), points: points, partial: false,
            warnings: ["imported from \(format.rawValue) file(s) \(paths.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")); "
                       + "percentiles the file did not report are unknown"])
        return Imported(result: result, hardware: hardware, engine: engine)
    }

    /// A distribution from summary statistics (milliseconds); unknown values are NaN.
    static func summary(count: Int, mean: Double?, min: Double? = nil, max: Double? = nil, p50: Double?, p90: Double? = nil, p95: Double? = nil,
                        p99: Double?) -> JSONValue? {
        guard mean != nil || p50 != nil else { return nil }
        func v(_ x: Double?) -> JSONValue { x.map { .number($0) } ?? .string("nan") }
        return .object([("count", .number(Double(count))), ("mean", v(mean)), ("min", v(min)), ("max", v(max)), ("p50", v(p50)), ("p90", v(p90)),
                        ("p95", v(p95)), ("p99", v(p99))])
    }

    /// A distribution from values.
    static func exact(_ values: [Double]) -> JSONValue? {
        guard let d = Distribution(values) else { return nil }
        return summary(count: d.count, mean: d.mean, min: d.min, max: d.max, p50: d.p50, p90: d.p90, p95: d.p95, p99: d.p99)
    }

    /// Builds a point through the result format itself (the public JSON shape), so imports and measurements share one decoder.
    static func point(index: Int, label: String, concurrency: Int?, rate: Double?, windowSeconds: Double, requests: Int, failed: Int, gpus: Int,
                      outputPerSecond: Double, inputPerSecond: Double, meanInput: Double, meanOutput: Double,
                      ttft: JSONValue?, tpot: JSONValue?, itl: JSONValue?, e2e: JSONValue?, tpotMedian: Double?, tpotP90: Double?) throws -> PointResult {
        let metrics: JSONValue = .object([
            ("requests_total", .number(Double(requests + failed))), ("requests_measured", .number(Double(requests + failed))),
            ("requests_succeeded", .number(Double(requests))), ("requests_failed", .number(Double(failed))), ("errors_by_kind", .object([])),
            ("window_s", .number(windowSeconds)), ("ttft_ms", ttft ?? .null), ("tpot_ms", tpot ?? .null), ("itl_ms", itl ?? .null),
            ("e2e_ms", e2e ?? .null),
            ("interactivity_p50_tok_s_user", tpotMedian.map { $0 > 0 ? .number(1000 / $0) : .null } ?? .null),
            ("interactivity_p90_tok_s_user", tpotP90.map { $0 > 0 ? .number(1000 / $0) : .null } ?? .null),
            ("output_tok_s", .number(outputPerSecond)), ("input_tok_s", .number(inputPerSecond)), ("total_tok_s", .number(outputPerSecond + inputPerSecond)),
            ("gpus", .number(Double(max(gpus, 1)))), ("request_rate_per_s", .number(windowSeconds > 0 ? Double(requests) / windowSeconds : 0)),
            ("mean_concurrency", .number(Double(concurrency ?? 0))), ("offered_rate_per_s", rate.map { .number($0) } ?? .null),
            ("mean_input_tokens", .number(meanInput)), ("mean_output_tokens", .number(meanOutput)),
            ("mean_requested_output_tokens", .number(meanOutput)), ("short_output_requests", .number(0)), ("requests_without_usage", .number(0)),
            ("coalesced_event_fraction", .number(0)), ("failed_request_output_tokens", .number(0)),
        ])
        let point: JSONValue = .object([
            ("index", .number(Double(index))), ("label", .string(label)), ("concurrency", concurrency.map { .number(Double($0)) } ?? .null),
            ("rate", rate.map { .number($0) } ?? .null), ("window", .object([("start_ns", .number(0)), ("end_ns", .number((windowSeconds * 1e9).rounded()))])),
            ("metrics", metrics), ("partial", .bool(false)), ("stopped_by", .string("imported")), ("warnings", .array([])),
        ])
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(PointResult.self, from: Data(point.serialized.utf8))
    }

    // MARK: InferenceX

    /// One InferenceX aggregate record: latencies in seconds, throughput per GPU, `conc`, `isl`, `osl`.
    static func inferenceX(_ r: JSONValue, index: Int) throws -> PointResult {
        func number(_ key: String) -> Double? { r[key]?.doubleValue }
        func seconds(_ name: String) -> (JSONValue?, Double?, Double?) {
            let p50 = number("median_\(name)").map { $0 * 1000 }
            return (summary(count: 0, mean: number("mean_\(name)").map { $0 * 1000 }, p50: p50, p99: number("p99_\(name)").map { $0 * 1000 }), p50,
                    nil)
        }
        guard let conc = number("conc"), let output = number("output_tput_per_gpu") ?? number("tput_per_gpu") else {
            throw ConfigError(field: "import", message: "an InferenceX record needs conc and output_tput_per_gpu")
        }
        let input = number("input_tput_per_gpu") ?? max(0, (number("tput_per_gpu") ?? output) - output)
        let (ttft, _, _) = seconds("ttft")
        let (tpot, tpotMedian, _) = seconds("tpot")
        let (itl, _, _) = seconds("itl")
        let (e2e, _, _) = seconds("e2el")
        // Per-GPU figures are kept per GPU: the point stands for one GPU's share.
        let concurrency = try count(conc, "conc")
        return try point(index: index, label: "c=\(concurrency)", concurrency: concurrency, rate: nil, windowSeconds: 0, requests: 0, failed: 0, gpus: 1,
                         outputPerSecond: output, inputPerSecond: input, meanInput: number("isl") ?? 0, meanOutput: number("osl") ?? 0,
                         ttft: ttft, tpot: tpot, itl: itl, e2e: e2e, tpotMedian: tpotMedian ?? number("median_intvty").map { 1000 / $0 }, tpotP90: nil)
    }

    // MARK: AIPerf

    /// One AIPerf `profile_export_aiperf.json`: each metric an object with `unit`, `avg`, `p1`…`p99`, `min`, `max`, `std`.
    static func aiperf(_ json: JSONValue, index: Int, gpus: Int, path: String) throws -> PointResult {
        func metric(_ tag: String) -> JSONValue? { json[tag] }
        func stat(_ tag: String, _ key: String) -> Double? { metric(tag)?[key]?.doubleValue }
        func scale(_ tag: String) -> Double {
            switch metric(tag)?["unit"]?.stringValue ?? "ms" {
            case "ns": 1e-6
            case "us", "µs": 1e-3
            case "s", "sec": 1000
            default: 1
            }
        }
        func distribution(_ tag: String) -> JSONValue? {
            let k = scale(tag)
            return summary(count: (try? count(stat("request_count", "avg") ?? 0, "request_count")) ?? 0, mean: stat(tag, "avg").map { $0 * k }, min: stat(tag, "min").map { $0 * k },
                           max: stat(tag, "max").map { $0 * k }, p50: stat(tag, "p50").map { $0 * k }, p90: stat(tag, "p90").map { $0 * k },
                           p95: stat(tag, "p95").map { $0 * k }, p99: stat(tag, "p99").map { $0 * k })
        }
        guard metric("time_to_first_token") != nil || metric("request_latency") != nil else {
            throw ConfigError(field: "import", message: "'\(path)' has no time_to_first_token or request_latency: not an AIPerf profile_export_aiperf.json")
        }
        let requests = try count(stat("request_count", "avg") ?? stat("completed_request_count", "avg") ?? 0, "request_count")
        let failed = try count(stat("error_request_count", "avg") ?? 0, "error_request_count")
        let duration = stat("benchmark_duration", "avg") ?? 0
        let output = stat("output_token_throughput", "avg") ?? 0
        let meanInput = stat("input_sequence_length", "avg") ?? 0
        let meanOutput = stat("output_sequence_length", "avg") ?? 0
        let requestRate = stat("request_throughput", "avg") ?? (duration > 0 ? Double(requests) / duration : 0)
        let concurrency = firstInt(json["input_config"], key: "concurrency")
        let itlScale = scale("inter_token_latency")
        // AIPerf's inter-token latency per request is (E2E − TTFT) / (OSL − 1): the same definition as tokenmeter's TPOT.
        let tpot = distribution("inter_token_latency")
        return try point(index: index, label: concurrency.map { "c=\($0)" } ?? "aiperf \(index + 1)", concurrency: concurrency, rate: nil,
                         windowSeconds: duration, requests: requests, failed: failed, gpus: gpus, outputPerSecond: output,
                         inputPerSecond: requestRate * meanInput, meanInput: meanInput, meanOutput: meanOutput, ttft: distribution("time_to_first_token"),
                         tpot: tpot, itl: distribution("inter_chunk_latency") ?? tpot, e2e: distribution("request_latency"),
                         tpotMedian: stat("inter_token_latency", "p50").map { $0 * itlScale }, tpotP90: stat("inter_token_latency", "p90").map { $0 * itlScale })
    }

    // MARK: vLLM

    /// One vLLM `bench serve --save-result` JSON: `mean_/median_/std_/pNN_` of ttft, tpot, itl and e2el in ms, throughput
    /// totals, and with `--save-detailed` the per-request `ttfts`, `itls`, `input_lens` and `output_lens` (seconds and tokens).
    static func vllm(_ json: JSONValue, index: Int, gpus: Int, path: String) throws -> PointResult {
        func number(_ key: String) -> Double? { json[key]?.doubleValue }
        guard let duration = number("duration"), let completed = number("completed") else {
            throw ConfigError(field: "import", message: "'\(path)' has no duration or completed: not a vLLM bench serve result")
        }
        guard duration.isFinite, duration > 0 else { throw ConfigError(field: "import", message: "'\(path)': duration \(duration) is not a positive time") }
        func stats(_ name: String) -> (JSONValue?, Double?, Double?) {
            let p50 = number("median_\(name)_ms")
            return (summary(count: (try? count(completed, "completed")) ?? 0, mean: number("mean_\(name)_ms"), p50: p50, p90: number("p90_\(name)_ms"),
                            p95: number("p95_\(name)_ms"), p99: number("p99_\(name)_ms")), p50, number("p90_\(name)_ms"))
        }
        var (ttft, _, _) = stats("ttft")
        var (tpot, tpotMedian, tpotP90) = stats("tpot")
        var (itl, _, _) = stats("itl")
        var (e2e, _, _) = stats("e2el")
        // Exact distributions from the per-request arrays, when saved.
        if case let .array(ttfts)? = json["ttfts"], case let .array(itls)? = json["itls"], case let .array(outs)? = json["output_lens"],
           ttfts.count == outs.count, itls.count == outs.count, !ttfts.isEmpty {
            var ttftMs: [Double] = [], tpotMs: [Double] = [], itlMs: [Double] = [], e2eMs: [Double] = []
            for i in ttfts.indices {
                guard let first = ttfts[i].doubleValue, first > 0, let out = outs[i].doubleValue, out > 0 else { continue }  // failed requests
                let gaps: [Double] = { if case let .array(g) = itls[i] { return g.compactMap(\.doubleValue) } else { return [] } }()
                ttftMs.append(first * 1000)
                itlMs += gaps.map { $0 * 1000 }
                let decode = gaps.reduce(0, +)
                e2eMs.append((first + decode) * 1000)
                if out > 1 { tpotMs.append(decode / (out - 1) * 1000) }
            }
            ttft = exact(ttftMs) ?? ttft
            itl = exact(itlMs) ?? itl
            e2e = exact(e2eMs) ?? e2e
            if let d = Distribution(tpotMs) {
                tpot = exact(tpotMs)
                tpotMedian = d.p50
                tpotP90 = d.p90
            }
        }
        let concurrency = try number("max_concurrency").map { try count($0, "max_concurrency") }
        let rate = number("request_rate").flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        let output = (number("total_output_tokens") ?? 0) / duration
        let input = (number("total_input_tokens") ?? 0) / duration
        let label = concurrency.map { "c=\($0)" } ?? rate.map { "rate=\($0.formatted(decimals: 1))/s" } ?? "vllm \(index + 1)"
        return try point(index: index, label: label, concurrency: concurrency, rate: rate, windowSeconds: duration, requests: try count(completed, "completed"),
                         failed: try count(number("failed") ?? 0, "failed"), gpus: gpus, outputPerSecond: output, inputPerSecond: input,
                         meanInput: completed > 0 ? (number("total_input_tokens") ?? 0) / completed : 0,
                         meanOutput: completed > 0 ? (number("total_output_tokens") ?? 0) / completed : 0,
                         ttft: ttft, tpot: tpot, itl: itl, e2e: e2e, tpotMedian: tpotMedian, tpotP90: tpotP90)
    }

    /// The first value under `key` anywhere inside a JSON tree.
    static func find(_ json: JSONValue?, key: String) -> JSONValue? {
        guard let json else { return nil }
        switch json {
        case let .object(fields):
            for (k, v) in fields where k == key { return v }
            for (_, v) in fields { if let found = find(v, key: key) { return found } }
        case let .array(items):
            for item in items { if let found = find(item, key: key) { return found } }
        default: break
        }
        return nil
    }

    static func firstInt(_ json: JSONValue?, key: String) -> Int? {
        guard let v = find(json, key: key) else { return nil }
        if let n = v.intValue, n >= 0 { return n }
        if case let .array(items) = v, let n = items.first?.intValue, n >= 0 { return n }
        return nil
    }

    /// A count read from a file: a finite, non-negative whole number below 10^12, else an error naming the field.
    static func count(_ v: Double, _ field: String) throws(ConfigError) -> Int {
        guard v.isFinite, v >= 0, v < 1e12, v.rounded() == v else {
            throw ConfigError(field: "import", message: "\(field) is \(v), not a count")
        }
        return Int(v)
    }

    static func firstString(_ json: JSONValue?, key: String) -> String? {
        guard let v = find(json, key: key) else { return nil }
        if let s = v.stringValue { return s }
        if case let .array(items) = v { return items.first?.stringValue }
        return nil
    }
}
