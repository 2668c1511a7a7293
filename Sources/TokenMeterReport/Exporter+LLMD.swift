import Foundation
import TokenMeterCore
import TokenMeterResults

/// llm-d Benchmark Report v0.2 (llm-d-benchmark's `benchmark_report` schema): one report per point, the workload and the
/// stack under `scenario`, every metric tokenmeter has a field for under `results.request_performance.aggregate`, with the
/// schema's units. What the schema has no field for (the chunk gap, the price) goes under `metadata.tokenmeter`, so
/// `runs import --format llmd` of tokenmeter's own reports gives back the same figures.
extension Exporter {
    /// The report version written.
    public static let llmdVersion = "0.2"

    /// One report per point (a JSON object), or with several points a YAML stream of reports (`---` between documents,
    /// each document JSON, which is YAML); `point` picks one point by index.
    static func llmd(_ result: RunResult, facts: DeploymentFacts, point: Int?) throws -> String {
        var points = result.points
        if let point {
            guard let chosen = points.first(where: { $0.index == point }) else {
                throw ConfigError(field: "point", message: "the run has no point \(point) (its points: \(points.map { String($0.index) }.joined(separator: ", ")))")
            }
            points = [chosen]
        }
        let reports = points.map { llmdReport(result, point: $0, facts: facts).serialized }
        return reports.count == 1 ? reports[0] + "\n" : reports.map { "---\n" + $0 + "\n" }.joined()
    }

    /// One point as an llm-d Benchmark Report v0.2.
    public static func llmdReport(_ result: RunResult, point p: PointResult, facts: DeploymentFacts) -> JSONValue {
        let m = p.metrics
        let runID = result.provenance.runID ?? "run"
        var run: [(String, JSONValue)] = [("uid", .string("\(runID)-p\(p.index)")), ("eid", .string(runID))]
        var time: [(String, JSONValue)] = []
        if let start = ISO8601DateFormatter().date(from: result.provenance.startedAt), p.index == 0 {
            time.append(("start", .string(result.provenance.startedAt)))
            time.append(("end", .string(ISO8601DateFormatter().string(from: start.addingTimeInterval(m.windowSeconds)))))
        }
        time.append(("duration", .string("PT\(String(format: "%.3f", m.windowSeconds))S")))
        run.append(("time", .object(time)))
        run.append(("description", .string("\(result.provenance.model) [\(p.label)]")))
        run.append(("keywords", .array(["tokenmeter", p.label].map { JSONValue.string($0) })))
        let report: [(String, JSONValue)] = [
            ("version", .string(llmdVersion)), ("run", .object(run)),
            ("scenario", .object([("stack", .array(llmdStack(result, facts: facts))), ("load", llmdLoad(result, point: p))])),
            ("results", .object([("request_performance", .object([("aggregate", llmdAggregate(m))]))])),
            ("metadata", .object([("tokenmeter", llmdExtras(result, point: p))])),
        ]
        return .object(report)
    }

    /// The engine behind the endpoint, when the run says what it is; an unknown engine is a `generic` component.
    static func llmdStack(_ result: RunResult, facts: DeploymentFacts) -> [JSONValue] {
        let gpus = result.points.first?.metrics.gpus ?? result.provenance.gpus
        let engine = facts.framework ?? "unknown"
        let cfg = stableID("\(engine)|\(facts.hardware ?? "")|\(gpus)|\(facts.tensorParallel ?? 0)|\(facts.precision ?? "")")
        let metadata: JSONValue = .object([("schema_version", .string("0.0.1")), ("label", .string("\(engine)-0")), ("cfg_id", .string(cfg))])
        guard let hardware = facts.hardware else {
            return [.object([("metadata", metadata), ("standardized", .object([("kind", .string("generic")), ("tool", .string(engine))]))])]
        }
        var parallelism: [(String, JSONValue)] = []
        if let tp = facts.tensorParallel { parallelism.append(("tp", .number(Double(tp)))) }
        if let ep = facts.expertParallel { parallelism.append(("ep", .number(Double(ep)))) }
        let standardized: JSONValue = .object([
            ("kind", .string("inference_engine")), ("tool", .string(engine)), ("tool_version", .string("unknown")), ("role", .string("replica")), ("replicas", .number(1)),
            ("model", .object([("name", .string(result.provenance.model))])),
            ("accelerator", .object([("model", .string(hardware)), ("count", .number(Double(gpus))), ("parallelism", .object(parallelism))])),
        ])
        return [.object([("metadata", metadata), ("standardized", standardized)])]
    }

    /// The workload: tokenmeter as the harness, the lengths and load of this point, the run's settings as its native config.
    static func llmdLoad(_ result: RunResult, point p: PointResult) -> JSONValue {
        let m = p.metrics
        var standardized: [(String, JSONValue)] = [
            ("tool", .string("tokenmeter")), ("tool_version", .string(result.provenance.toolVersion)),
            ("source", .string(result.config["dataset"] != nil || result.config["trace"] != nil ? "sampled" : "random")), ("stage", .number(Double(p.index))),
            ("input_seq_len", .object([("distribution", .string("other")), ("value", .number(m.meanInputTokens))])),
            ("output_seq_len", .object([("distribution", .string("other")), ("value", .number(m.meanOutputTokens))])),
        ]
        if let rate = p.rate, rate > 0, rate.isFinite { standardized.append(("rate_qps", .number(rate))) }
        if let c = p.concurrency, c >= 1 { standardized.append(("concurrency", .number(Double(c)))) }
        let native = JSONValue.object(result.config.values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return .object([("metadata", .object([("cfg_id", .string(stableID(native.serialized)))])), ("standardized", .object(standardized)),
                        ("native", .object([("config", native)]))])
    }

    static func llmdAggregate(_ m: PointMetrics) -> JSONValue {
        var requests: [(String, JSONValue)] = [("total", .number(Double(m.requestsTotal))), ("failures", .number(Double(m.requestsFailed)))]
        let incomplete = m.requestsTotal - m.requestsSucceeded - m.requestsFailed
        if incomplete > 0 { requests.append(("incomplete", .number(Double(incomplete)))) }
        requests.append(("input_length", .object([("units", .string("count")), ("mean", .number(m.meanInputTokens))])))
        requests.append(("output_length", .object([("units", .string("count")), ("mean", .number(m.meanOutputTokens))])))
        var latency: [(String, JSONValue)] = []
        for (name, units, d) in [("time_to_first_token", "ms", m.ttftMs), ("time_per_output_token", "ms/token", m.tpotMs),
                                 ("inter_token_latency", "ms/token", m.itlMs), ("request_latency", "ms", m.e2eMs)] {
            if let s = llmdStatistics(d, units: units) { latency.append((name, s)) }
        }
        func rate(_ v: Double, _ units: String) -> JSONValue { .object([("units", .string(units)), ("mean", .number(v))]) }
        let throughput: [(String, JSONValue)] = [
            ("input_token_rate", rate(m.inputTokensPerSecond, "tokens/s")), ("output_token_rate", rate(m.outputTokensPerSecond, "tokens/s")),
            ("total_token_rate", rate(m.totalTokensPerSecond, "tokens/s")), ("request_rate", rate(m.requestsPerSecond, "queries/s")),
        ]
        return .object([("requests", .object(requests)), ("latency", .object(latency)), ("throughput", .object(throughput))])
    }

    /// A distribution as llm-d Statistics; unknown values are left out (the schema writes none), an unknown mean drops it.
    static func llmdStatistics(_ d: Distribution?, units: String) -> JSONValue? {
        guard let d, d.mean.isFinite else { return nil }
        var fields: [(String, JSONValue)] = [("units", .string(units)), ("mean", .number(d.mean))]
        for (key, v) in [("min", d.min), ("p50", d.p50), ("p90", d.p90), ("p95", d.p95), ("p99", d.p99), ("max", d.max)] where v.isFinite {
            fields.append((key, .number(v)))
        }
        return .object(fields)
    }

    /// What the schema has no field for: the chunk gap, the GPU count, the price and the result's own identifiers.
    static func llmdExtras(_ result: RunResult, point p: PointResult) -> JSONValue {
        var extras: [(String, JSONValue)] = [("schema", .string(result.schema)), ("point_label", .string(p.label)),
                                             ("gpus", .number(Double(p.metrics.gpus))), ("window_s", .number(p.metrics.windowSeconds))]
        if let gap = llmdStatistics(p.metrics.chunkGapMs, units: "ms") { extras.append(("chunk_gap", gap)) }
        if let price = p.price, let usd = price.usdPerMtokBlended { extras.append(("usd_per_mtok", .number(usd))) }
        return .object(extras)
    }

    /// A short stable identifier of a text (FNV-1a, 64 bits, hex): the same configuration gives the same cfg_id.
    static func stableID(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }
}
