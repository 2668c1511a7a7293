import Foundation
import TokenMeterCore
import TokenMeterResults

/// What a run export needs to know beyond the result: how the endpoint was deployed (for the InferenceX shape).
public struct DeploymentFacts: Sendable, Equatable {
    /// GPU type (`h200`).
    public var hardware: String?
    /// Engine (`vllm`).
    public var framework: String?
    /// Weight precision (`fp8`).
    public var precision: String?
    /// Tensor parallel degree.
    public var tensorParallel: Int?
    /// Expert parallel degree.
    public var expertParallel: Int?
    /// Whether attention is data-parallel.
    public var attentionDataParallel: Bool?

    /// Creates facts.
    public init(hardware: String? = nil, framework: String? = nil, precision: String? = nil, tensorParallel: Int? = nil, expertParallel: Int? = nil,
                attentionDataParallel: Bool? = nil) {
        self.hardware = hardware
        self.framework = framework
        self.precision = precision
        self.tensorParallel = tensorParallel
        self.expertParallel = expertParallel
        self.attentionDataParallel = attentionDataParallel
    }
}

/// Writes runs as JSON (the result itself), CSV (one row per point), InferenceX aggregate records (one per point) or llm-d
/// Benchmark Reports v0.2 (one per point).
public enum Exporter {
    /// The formats.
    public enum Format: String, CaseIterable, Sendable {
        case json, csv, inferencex, llmd
    }

    /// The export of a run in a format; `point` picks one point (llm-d reports).
    public static func export(_ result: RunResult, format: Format, facts: DeploymentFacts, point: Int? = nil) throws -> String {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return String(decoding: try encoder.encode(result), as: UTF8.self) + "\n"
        case .csv:
            return csv(result)
        case .inferencex:
            return JSONValue.array(result.points.map { inferenceX($0, facts: facts) }).serialized + "\n"
        case .llmd:
            return try llmd(result, facts: facts, point: point)
        }
    }

    /// CSV columns: the point, its load, throughput per GPU, and latency percentiles in milliseconds.
    public static let csvColumns = [
        "point", "concurrency", "rate", "requests_succeeded", "requests_failed", "window_s", "mean_input_tokens", "mean_output_tokens",
        "output_tok_s", "input_tok_s", "output_tok_s_gpu", "total_tok_s_gpu", "tok_s_user_p50",
        "ttft_ms_p50", "ttft_ms_p99", "tpot_ms_p50", "tpot_ms_p99", "itl_ms_p50", "itl_ms_p99", "e2e_ms_p50", "e2e_ms_p99", "partial",
    ]

    static func csv(_ result: RunResult) -> String {
        func csvNumber(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.6g", $0) : "" } ?? "" }
        var lines = [csvColumns.joined(separator: ",")]
        for p in result.points {
            let m = p.metrics
            let gpus = Double(max(m.gpus, 1))
            let fields: [String] = [
                csvField(p.label), p.concurrency.map(String.init) ?? "", csvNumber(p.rate), String(m.requestsSucceeded), String(m.requestsFailed), csvNumber(m.windowSeconds),
                csvNumber(m.meanInputTokens), csvNumber(m.meanOutputTokens), csvNumber(m.outputTokensPerSecond), csvNumber(m.inputTokensPerSecond), csvNumber(m.outputTokensPerSecond / gpus),
                csvNumber(m.totalTokensPerSecond / gpus), csvNumber(m.interactivityMedian), csvNumber(m.ttftMs?.p50), csvNumber(m.ttftMs?.p99), csvNumber(m.tpotMs?.p50), csvNumber(m.tpotMs?.p99),
                csvNumber(m.itlMs?.p50), csvNumber(m.itlMs?.p99), csvNumber(m.e2eMs?.p50), csvNumber(m.e2eMs?.p99), p.partial ? "1" : "0",
            ]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// One InferenceX aggregate record: throughput per GPU in tok/s, latencies in seconds (their convention), interactivity
    /// in tok/s/user; `median_`, `mean_` and `p99_` of ttft, tpot, itl, e2el and intvty.
    public static func inferenceX(_ p: PointResult, facts: DeploymentFacts) -> JSONValue {
        let m = p.metrics
        let gpus = Double(max(m.gpus, 1))
        var fields: [(String, JSONValue)] = [
            ("hw", facts.hardware.map { .string($0) } ?? .null),
            ("conc", .number(Double(p.concurrency ?? Int(m.meanConcurrency.rounded())))),
            ("isl", .number(m.meanInputTokens.rounded())), ("osl", .number(m.meanOutputTokens.rounded())),
            ("tp", facts.tensorParallel.map { .number(Double($0)) } ?? .null), ("ep", facts.expertParallel.map { .number(Double($0)) } ?? .null),
            ("dp_attention", facts.attentionDataParallel.map { .bool($0) } ?? .null),
            ("precision", facts.precision.map { .string($0) } ?? .null), ("framework", facts.framework.map { .string($0) } ?? .null),
            ("tput_per_gpu", .number(m.totalTokensPerSecond / gpus)), ("output_tput_per_gpu", .number(m.outputTokensPerSecond / gpus)),
            ("input_tput_per_gpu", .number(m.inputTokensPerSecond / gpus)),
        ]
        func add(_ name: String, _ d: Distribution?, seconds: Bool) {
            let scale = seconds ? 1e-3 : 1
            fields.append(("median_\(name)", d.map { .number($0.p50 * scale) } ?? .null))
            fields.append(("mean_\(name)", d.map { .number($0.mean * scale) } ?? .null))
            fields.append(("p99_\(name)", d.map { .number($0.p99 * scale) } ?? .null))
        }
        add("ttft", m.ttftMs, seconds: true)
        add("tpot", m.tpotMs, seconds: true)
        add("itl", m.itlMs, seconds: true)
        add("e2el", m.e2eMs, seconds: true)
        // Interactivity per request is 1 / TPOT: its median is the median TPOT's reciprocal, and its p99 is read at the slow
        // tail (the p99 TPOT's reciprocal) — the interactivity 99% of requests get at least. Its mean is the mean of 1 / TPOT,
        // which a distribution of TPOT cannot give; the median's reciprocal stands in.
        func reciprocal(_ v: Double?) -> JSONValue { v.flatMap { $0 > 0 ? .number(1000 / $0) : nil } ?? .null }
        fields.append(("median_intvty", reciprocal(m.tpotMs?.p50)))
        fields.append(("mean_intvty", m.interactivityMedian.map { .number($0) } ?? reciprocal(m.tpotMs?.p50)))
        fields.append(("p99_intvty", reciprocal(m.tpotMs?.p99)))
        return .object(fields)
    }
}
