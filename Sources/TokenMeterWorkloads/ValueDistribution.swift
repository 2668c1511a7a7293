import TokenMeterCore

/// A distribution of a non-negative quantity (tokens, seconds, a count) that a workload draws each length, wait and count
/// from: fixed, uniform, a clipped normal, a log-normal given by its median and 90th percentile, or an exponential.
public enum ValueDistribution: Sendable, Equatable, CustomStringConvertible {
    /// Always this value.
    case fixed(Double)
    /// Uniform over `min...max`.
    case uniform(min: Double, max: Double)
    /// Normal with mean and standard deviation, clipped to `min...max`.
    case normal(mean: Double, stddev: Double, min: Double, max: Double)
    /// Log-normal with this median and 90th percentile, clipped to `max` when given (heavy tails: tool waits, outputs).
    case lognormal(median: Double, p90: Double, max: Double?)
    /// Exponential with this mean, clipped to `max` when given.
    case exponential(mean: Double, max: Double?)

    /// What the numbers of a written distribution are.
    public enum Unit: Sendable {
        /// Whole numbers: tokens, counts.
        case count
        /// Durations: a number of seconds, or with a unit (`250ms`, `2s`, `5m`, `1h`).
        case seconds
    }

    /// Parses `1024`, `uniform:512-2048` (or `512-2048`), `normal:MEAN,SD,MIN,MAX`, `lognormal:MEDIAN,P90[,MAX]` or
    /// `exponential:MEAN[,MAX]`; in seconds each number may carry a unit (`lognormal:2s,30s,10m`).
    public init(parsing text: String, unit: Unit, field: String) throws(ConfigError) {
        let t = text.trimmingWhitespace.lowercased()
        let (kind, body): (String, Substring) = if let colon = t.firstIndex(of: ":") {
            (String(t[..<colon]), t[t.index(after: colon)...])
        } else {
            (t.contains("-") && !t.hasPrefix("-") ? "uniform" : "fixed", Substring(t))
        }
        let separator: Character = kind == "uniform" ? "-" : ","
        let parts = body.split(separator: separator, omittingEmptySubsequences: false).map { String($0).trimmingWhitespace }
        var numbers: [Double] = []
        for part in parts {
            guard let value = Self.number(part, unit: unit), value >= 0 else {
                throw ConfigError(field: field, message: "'\(part)' in '\(text)' is not \(unit == .seconds ? "a duration" : "a non-negative number")")
            }
            numbers.append(value)
        }
        self = try Self.make(kind, numbers, text: text, field: field)
    }

    /// Builds a distribution of a kind from its parameters, checked.
    static func make(_ kind: String, _ n: [Double], text: String, field: String) throws(ConfigError) -> ValueDistribution {
        func need(_ counts: ClosedRange<Int>, _ form: String) throws(ConfigError) {
            guard counts.contains(n.count) else { throw ConfigError(field: field, message: "'\(text)': write \(form)") }
        }
        switch kind {
        case "fixed":
            try need(1...1, "a number")
            return .fixed(n[0])
        case "uniform":
            try need(2...2, "uniform:MIN-MAX")
            guard n[0] <= n[1] else { throw ConfigError(field: field, message: "'\(text)': MIN must not exceed MAX") }
            return .uniform(min: n[0], max: n[1])
        case "normal":
            try need(4...4, "normal:MEAN,STDDEV,MIN,MAX")
            guard n[2] <= n[3] else { throw ConfigError(field: field, message: "'\(text)': MIN must not exceed MAX") }
            return .normal(mean: n[0], stddev: n[1], min: n[2], max: n[3])
        case "lognormal":
            try need(2...3, "lognormal:MEDIAN,P90[,MAX]")
            guard n[0] > 0, n[1] >= n[0] else {
                throw ConfigError(field: field, message: "'\(text)': the median must be above 0 and the 90th percentile at least the median")
            }
            return .lognormal(median: n[0], p90: n[1], max: n.count == 3 ? n[2] : nil)
        case "exponential":
            try need(1...2, "exponential:MEAN[,MAX]")
            return .exponential(mean: n[0], max: n.count == 2 ? n[1] : nil)
        default:
            throw ConfigError(field: field, message: "'\(text)' is not a distribution; write a number, uniform:MIN-MAX, normal:MEAN,SD,MIN,MAX, "
                + "lognormal:MEDIAN,P90[,MAX] or exponential:MEAN[,MAX]")
        }
    }

    /// A number, or for seconds a number with an optional unit.
    static func number(_ text: String, unit: Unit) -> Double? {
        if let value = Double(text), value.isFinite { return value }
        guard unit == .seconds else { return nil }
        for (suffix, scale) in [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)] where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value.isFinite { return value * scale }
        }
        return nil
    }

    /// Draws one value (never negative).
    public func sample(using rng: inout SeededGenerator) -> Double {
        switch self {
        case let .fixed(v): return v
        case let .uniform(lo, hi): return lo == hi ? lo : lo + (hi - lo) * rng.unitOpen()
        case let .normal(mean, sd, lo, hi): return Swift.min(hi, Swift.max(lo, mean + sd * rng.standardNormal()))
        case let .lognormal(median, p90, cap):
            // ln X ~ N(μ, σ): the median is e^μ and the 90th percentile e^(μ + 1.2816 σ).
            let sigma = Self.logSigma(median: median, p90: p90)
            let v = median * Self.exp(sigma * rng.standardNormal())
            return cap.map { Swift.min($0, v) } ?? v
        case let .exponential(mean, cap):
            let v = mean * rng.exponential()
            return cap.map { Swift.min($0, v) } ?? v
        }
    }

    /// Draws a whole number (rounded), at least `minimum`.
    public func sampleCount(using rng: inout SeededGenerator, minimum: Int = 0) -> Int {
        let v = sample(using: &rng)
        return Swift.max(minimum, v.isFinite ? Int(v.rounded()) : minimum)
    }

    /// The distribution's mean before clipping (the log-normal's `median · e^(σ²/2)`).
    public var mean: Double {
        switch self {
        case let .fixed(v): v
        case let .uniform(lo, hi): (lo + hi) / 2
        case let .normal(mean, _, _, _): mean
        case let .lognormal(median, p90, _):
            median * Self.exp(Self.logSigma(median: median, p90: p90) * Self.logSigma(median: median, p90: p90) / 2)
        case let .exponential(mean, _): mean
        }
    }

    static func logSigma(median: Double, p90: Double) -> Double { Self.log(p90 / median) / 1.281_551_565_5 }

    public var description: String {
        func text(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }
        switch self {
        case let .fixed(v): return text(v)
        case let .uniform(lo, hi): return "uniform:\(text(lo))-\(text(hi))"
        case let .normal(m, sd, lo, hi): return "normal:\(text(m)),\(text(sd)),\(text(lo)),\(text(hi))"
        case let .lognormal(median, p90, cap): return "lognormal:\(text(median)),\(text(p90))" + (cap.map { ",\(text($0))" } ?? "")
        case let .exponential(mean, cap): return "exponential:\(text(mean))" + (cap.map { ",\(text($0))" } ?? "")
        }
    }

    static func exp(_ x: Double) -> Double { Foundation_exp(x) }
    static func log(_ x: Double) -> Double { Foundation_log(x) }
}
