import Foundation
import TokenMeterCore
import TokenMeterResults

/// Reads other tools' result files into a tokenmeter run, so published and peer numbers sit beside measured ones:
/// InferenceX aggregate records, AIPerf `profile_export_aiperf.json`, vLLM `bench serve` result JSON, GuideLLM
/// `benchmarks.json`, inference-perf `stage_N_lifecycle_metrics.json` and llm-d Benchmark Reports (v0.1, v0.2, v0.2.1).
/// Only what the file states is kept: a metric or percentile a tool did not report stays unknown (NaN, shown as "-"), and
/// the run's `provenance.imported` names the tool, its version, what it did not provide and how its names map onto
/// tokenmeter's. Every file is read before anything is kept: a file that does not read imports nothing.
public enum Importer {
    /// The formats.
    public enum Format: String, CaseIterable, Sendable {
        case inferencex, aiperf, vllm, guidellm
        case inferencePerf = "inference-perf"
        case llmd
        /// tokenmeter's own result.json (a run made with --no-store, or on another machine).
        case tokenmeter
    }

    /// A run read from files.
    public struct Imported: Sendable {
        /// The result, one point per record, file, benchmark or stage.
        public var result: RunResult
        /// GPU type, when the file says.
        public var hardware: String?
        /// Engine, when the file says.
        public var engine: String?
    }

    /// What one file gave.
    struct FileRead {
        var points: [PointResult] = []
        var model: String?
        var hardware: String?
        var engine: String?
        /// The measuring tool and its version, when the file says (an llm-d report names its harness).
        var tool: String?
        var toolVersion: String?
        /// The schema version the file declares (llm-d).
        var formatVersion: String?
    }

    /// Reads files of one format into one run. `gpus` divides throughput per GPU where the file does not already give it.
    public static func load(paths: [String], format: Format, model: String?, gpus: Int) throws(ConfigError) -> Imported {
        if format == .tokenmeter { return try loadResults(paths) }
        var reads: [FileRead] = []
        var pointCount = 0
        for path in paths {
            let read = try readFile(path, format: format, firstIndex: pointCount, gpus: gpus)
            pointCount += read.points.count
            reads.append(read)
        }
        let points = reads.flatMap(\.points)
        guard !points.isEmpty else { throw ConfigError(field: "import", message: "no points in \(paths.joined(separator: ", "))") }
        let files = paths.map { URL(fileURLWithPath: $0).lastPathComponent }
        let tool = reads.lazy.compactMap(\.tool).first ?? format.rawValue
        let version = reads.lazy.compactMap(\.formatVersion).first
        let source = ImportSource(tool: tool, toolVersion: reads.lazy.compactMap(\.toolVersion).first,
                                  format: format.rawValue + (version.map { " \($0)" } ?? ""), files: files,
                                  notProvided: notProvided(points), mapping: mapping(format))
        var provenance = Provenance(toolVersion: ToolInfo.version, targetURL: "imported:\(format.rawValue)", targetKind: "imported (\(tool))",
                                    model: model ?? reads.lazy.compactMap(\.model).first ?? "unknown", serverModels: [], host: "", gpus: gpus,
                                    startedAt: ISO8601DateFormatter().string(from: Date()), promptLengthSource: "as reported by \(tool)")
        provenance.imported = source
        let result = RunResult(schema: ToolInfo.resultSchema, provenance: provenance, config: RunSettings(), points: points, partial: false,
                               warnings: ["imported from \(source.summary); metrics it did not report are unknown"])
        return Imported(result: result, hardware: reads.lazy.compactMap(\.hardware).first, engine: reads.lazy.compactMap(\.engine).first)
    }

    /// One file, parsed and read; every failure is one ConfigError naming the file.
    static func readFile(_ path: String, format: Format, firstIndex: Int, gpus: Int) throws(ConfigError) -> FileRead {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError(field: "import", message: "cannot read '\(path)'") }
        do {
            if format == .llmd { return try llmd(Array(data), index: firstIndex, gpus: gpus, path: path) }
            let json: JSONValue
            do { json = try JSONValue.parse(Array(data)) } catch {
                throw ConfigError(field: "import", message: "'\(path)' is not JSON: \(error)")
            }
            switch format {
            case .inferencex: return try inferenceXFile(json, index: firstIndex)
            case .aiperf: return try aiperfFile(json, index: firstIndex, gpus: gpus, path: path)
            case .vllm: return try vllmFile(json, index: firstIndex, gpus: gpus, path: path)
            case .guidellm: return try guidellm(json, index: firstIndex, gpus: gpus, path: path)
            case .inferencePerf: return try inferencePerf(json, index: firstIndex, gpus: gpus, path: path)
            case .llmd, .tokenmeter: fatalError("read above")
            }
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(field: "import", message: "'\(path)' does not read as \(format.rawValue): \(error)")
        }
    }

    /// tokenmeter result files, kept as they are (their own provenance), their points one after another.
    static func loadResults(_ paths: [String]) throws(ConfigError) -> Imported {
        var merged: RunResult?
        for path in paths {
            let result: RunResult
            do { result = try RunResult.read(path: path) } catch let error as ConfigError { throw error } catch {
                throw ConfigError(field: "import", message: "'\(path)' is not a tokenmeter result: \(error)")
            }
            guard var all = merged else { merged = result; continue }
            all.points += result.points.map { var p = $0; p.index = all.points.count + $0.index; return p }
            all.partial = all.partial || result.partial
            merged = all
        }
        guard var result = merged, !result.points.isEmpty else {
            throw ConfigError(field: "import", message: "no points in \(paths.joined(separator: ", "))")
        }
        result.provenance.runID = nil
        result.warnings.append("read from \(paths.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))")
        return Imported(result: result, hardware: nil, engine: nil)
    }

    /// The tokenmeter metrics no point has: distributions as a whole, or their percentiles one by one.
    static func notProvided(_ points: [PointResult]) -> [String] {
        let distributions: [(String, (PointMetrics) -> Distribution?)] = [
            ("ttft_ms", \.ttftMs), ("tpot_ms", \.tpotMs), ("itl_ms", \.itlMs), ("chunk_gap_ms", \.chunkGapMs), ("e2e_ms", \.e2eMs),
        ]
        var missing: [String] = []
        for (name, get) in distributions {
            let known = points.compactMap { get($0.metrics) }
            guard !known.isEmpty else { missing.append(name); continue }
            let fields: [(String, (Distribution) -> Double)] = [("mean", \.mean), ("min", \.min), ("max", \.max), ("p50", \.p50), ("p90", \.p90),
                                                                  ("p95", \.p95), ("p99", \.p99)]
            for (field, value) in fields where known.allSatisfy({ value($0).isNaN }) { missing.append("\(name).\(field)") }
        }
        if points.allSatisfy({ $0.metrics.outputTokensPerSecond == 0 }) { missing.append("output_tok_s") }
        if points.allSatisfy({ $0.metrics.requestsTotal == 0 }) { missing.append("requests") }
        // Never in an imported file: what only tokenmeter's own timeline measures.
        return missing + ["per-request timeline", "token reconciliation (usage against stream)", "server metrics", "energy"]
    }

    // MARK: Building points

    /// What a file states about one point; unknown distributions stay nil.
    struct Figures {
        var label: String
        var concurrency: Int?
        var rate: Double?
        var windowSeconds = 0.0
        var requests = 0
        var failed = 0
        var gpus = 1
        var outputPerSecond = 0.0
        var inputPerSecond = 0.0
        var requestsPerSecond: Double?
        /// The mean number of requests in flight, when the file measured it (else the configured concurrency).
        var meanConcurrency: Double?
        var meanInput = 0.0
        var meanOutput = 0.0
        var ttft: JSONValue?
        var tpot: JSONValue?
        var itl: JSONValue?
        var chunkGap: JSONValue?
        var e2e: JSONValue?
        /// Interactivity when the file gives it apart from TPOT (InferenceX's median_intvty), else from TPOT's p50 and p90.
        var tpotMedian: Double?
        var tpotP90: Double?

        /// The point's label from its load (`c=8`, `rate=2.5/s`), else `fallback`.
        func loadLabel(or fallback: String) -> String {
            concurrency.map { "c=\($0)" } ?? rate.map { "rate=\($0.formatted(decimals: 1))/s" } ?? fallback
        }
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
    static func point(index: Int, _ f: Figures) throws -> PointResult {
        let tpotMedian = f.tpotMedian ?? f.tpot?["p50"]?.doubleValue
        let tpotP90 = f.tpotP90 ?? f.tpot?["p90"]?.doubleValue
        func interactivity(_ tpot: Double?) -> JSONValue { tpot.map { $0 > 0 && $0.isFinite ? .number(1000 / $0) : .null } ?? .null }
        let total = Double(f.requests + f.failed)
        let rate = f.requestsPerSecond ?? (f.windowSeconds > 0 ? Double(f.requests) / f.windowSeconds : 0)
        let counts: [(String, JSONValue)] = [
            ("requests_total", .number(total)), ("requests_measured", .number(total)), ("requests_succeeded", .number(Double(f.requests))),
            ("requests_failed", .number(Double(f.failed))), ("errors_by_kind", .object([])), ("window_s", .number(f.windowSeconds)),
        ]
        let latencies: [(String, JSONValue)] = [
            ("ttft_ms", f.ttft ?? .null), ("tpot_ms", f.tpot ?? .null), ("itl_ms", f.itl ?? .null), ("chunk_gap_ms", f.chunkGap ?? .null),
            ("e2e_ms", f.e2e ?? .null), ("interactivity_p50_tok_s_user", interactivity(tpotMedian)),
            ("interactivity_p90_tok_s_user", interactivity(tpotP90)),
        ]
        let rates: [(String, JSONValue)] = [
            ("output_tok_s", .number(f.outputPerSecond)), ("input_tok_s", .number(f.inputPerSecond)),
            ("total_tok_s", .number(f.outputPerSecond + f.inputPerSecond)), ("gpus", .number(Double(max(f.gpus, 1)))),
            ("request_rate_per_s", .number(rate)), ("mean_concurrency", .number(f.meanConcurrency ?? Double(f.concurrency ?? 0))),
            ("offered_rate_per_s", f.rate.map { .number($0) } ?? .null),
        ]
        let lengths: [(String, JSONValue)] = [
            ("mean_input_tokens", .number(f.meanInput)), ("mean_output_tokens", .number(f.meanOutput)),
            ("mean_requested_output_tokens", .number(f.meanOutput)), ("short_output_requests", .number(0)), ("requests_without_usage", .number(0)),
            ("coalesced_event_fraction", .number(0)), ("failed_request_output_tokens", .number(0)),
        ]
        let metrics = JSONValue.object(counts + latencies + rates + lengths)
        let point: JSONValue = .object([
            ("index", .number(Double(index))), ("label", .string(f.label)), ("concurrency", f.concurrency.map { .number(Double($0)) } ?? .null),
            ("rate", f.rate.map { .number($0) } ?? .null),
            ("window", .object([("start_ns", .number(0)), ("end_ns", .number((f.windowSeconds * 1e9).rounded()))])),
            ("metrics", metrics), ("partial", .bool(false)), ("stopped_by", .string("imported")), ("warnings", .array([])),
        ])
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(PointResult.self, from: Data(point.serialized.utf8))
    }

    // MARK: Reading JSON

    /// A summary-statistics object in milliseconds after `scale`: `mean`, `min`, `max`, and each percentile as `p50` or
    /// `median`, at the top or under `percentiles` (GuideLLM), as AIPerf, GuideLLM, inference-perf and llm-d write them.
    static func statistics(_ o: JSONValue?, scale: Double, count: Int) -> JSONValue? {
        guard let o, case .object = o else { return nil }
        func pick(_ names: String...) -> Double? {
            for name in names { if let v = o[name]?.doubleValue ?? o["percentiles"]?[name]?.doubleValue { return v * scale } }
            return nil
        }
        return summary(count: count, mean: pick("mean", "avg"), min: pick("min"), max: pick("max"), p50: pick("p50", "median"), p90: pick("p90"),
                       p95: pick("p95"), p99: pick("p99"))
    }

    /// The value at a dotted path (`metrics.request_totals.successful`).
    static func value(_ json: JSONValue, at path: String) -> JSONValue? {
        var node: JSONValue? = json
        for key in path.split(separator: ".") { node = node?[String(key)] }
        if case .null? = node { return nil }
        return node
    }

    /// Refuses a file that lacks fields this reader needs, naming the schema version it declares and every missing field, so
    /// a newer version says what changed instead of importing half of it.
    static func requireFields(_ json: JSONValue, _ paths: [String], path: String, what: String, version: String?,
                              known: String) throws(ConfigError) {
        let missing = paths.filter { value(json, at: $0) == nil }
        guard !missing.isEmpty else { return }
        let declared = version.map { "declares version \($0)" } ?? "declares no version"
        throw ConfigError(field: "import", message: "'\(path)' is not a \(what) this tokenmeter reads: it \(declared) (this tokenmeter reads "
                          + "\(known)) and lacks \(missing.joined(separator: ", ")); nothing was imported")
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
