/// A latency metric a service-level objective can bound.
public enum SLOMetric: String, Codable, Sendable, CaseIterable {
    /// Time to first token.
    case ttft
    /// Time per output token.
    case tpot
    /// End-to-end latency.
    case e2e
}

/// One bound, such as `ttft_p99=2s`: the metric at a percentile must not exceed a limit.
public struct SLOBound: Codable, Sendable, Equatable {
    /// Bounded metric.
    public var metric: SLOMetric
    /// Percentile the bound applies to across requests (50, 90, 95 or 99).
    public var percentile: Int
    /// Limit in milliseconds.
    public var limitMilliseconds: Double

    /// Creates a bound.
    public init(metric: SLOMetric, percentile: Int, limitMilliseconds: Double) {
        self.metric = metric
        self.percentile = percentile
        self.limitMilliseconds = limitMilliseconds
    }

    enum CodingKeys: String, CodingKey { case metric, percentile, limitMilliseconds = "limit_ms" }
}

/// A set of bounds: a request is "good" when it meets every limit; a point passes when every percentile does.
public struct ServiceLevelObjective: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The bounds, in the order given.
    public var bounds: [SLOBound]

    /// Creates an objective from bounds.
    public init(bounds: [SLOBound]) { self.bounds = bounds }

    /// Parses `ttft_p99=2s,tpot_p99=80ms` (percentile optional, default p99; units ms, s, us).
    public init(parsing text: String) throws(ConfigError) {
        var bounds: [SLOBound] = []
        for part in text.split(separator: ",") where !part.trimmingWhitespace.isEmpty {
            let pieces = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace }
            guard pieces.count == 2 else {
                throw ConfigError(field: "slo", message: "'\(part)' is not NAME=LIMIT; write e.g. ttft_p99=2s,tpot_p99=80ms")
            }
            let name = pieces[0].lowercased()
            let nameParts = name.split(separator: "_")
            guard let metric = SLOMetric(rawValue: String(nameParts[0])) else {
                throw ConfigError(field: "slo", message: "unknown metric '\(nameParts[0])'; use ttft, tpot or e2e")
            }
            var percentile = 99
            if nameParts.count == 2 {
                guard nameParts[1].hasPrefix("p"), let p = Int(nameParts[1].dropFirst()), [50, 90, 95, 99].contains(p) else {
                    throw ConfigError(field: "slo", message: "'\(name)': percentile must be p50, p90, p95 or p99")
                }
                percentile = p
            } else if nameParts.count > 2 {
                throw ConfigError(field: "slo", message: "'\(name)' is not METRIC or METRIC_pNN")
            }
            let limit = try DurationText.milliseconds(pieces[1], field: "slo")
            bounds.append(SLOBound(metric: metric, percentile: percentile, limitMilliseconds: limit))
        }
        guard !bounds.isEmpty else { throw ConfigError(field: "slo", message: "empty objective; write e.g. ttft_p99=2s,tpot_p99=80ms") }
        self.bounds = bounds
    }

    /// An MLPerf preset by name (`mlperf-llama3.1-8b`), else a parsed `ttft_p99=2s,tpot_p99=80ms`.
    public init(presetOrSpec text: String) throws(ConfigError) {
        if let preset = ServiceLevelObjective.presets[text.lowercased()] {
            self = preset
        } else {
            try self.init(parsing: text)
        }
    }

    public var description: String {
        bounds.map { "\($0.metric.rawValue)_p\($0.percentile)=\(DurationText.format(milliseconds: $0.limitMilliseconds))" }
            .joined(separator: ",")
    }

    /// MLPerf Inference datacenter presets (p99 TTFT and TPOT), from REFERENCE.md.
    public static let presets: [String: ServiceLevelObjective] = {
        func slo(_ ttft: Double, _ tpot: Double) -> ServiceLevelObjective {
            ServiceLevelObjective(bounds: [
                SLOBound(metric: .ttft, percentile: 99, limitMilliseconds: ttft),
                SLOBound(metric: .tpot, percentile: 99, limitMilliseconds: tpot),
            ])
        }
        return [
            "mlperf-llama2-70b": slo(2000, 200), "mlperf-llama2-70b-interactive": slo(450, 40),
            "mlperf-llama3.1-8b": slo(2000, 100), "mlperf-llama3.1-8b-interactive": slo(500, 30),
            "mlperf-llama3.1-405b": slo(6000, 175), "mlperf-llama3.1-405b-interactive": slo(4500, 80),
            "mlperf-deepseek-r1": slo(2000, 80), "mlperf-deepseek-r1-interactive": slo(1500, 15),
        ]
    }()
}
