import TokenMeterCore

/// A token-length distribution: fixed, uniform in a range, or a clipped normal.
public enum LengthSpec: Sendable, Equatable, CustomStringConvertible {
    /// Always `n`.
    case fixed(Int)
    /// Uniform over `min...max`.
    case uniform(min: Int, max: Int)
    /// Normal with mean and standard deviation, clipped to `min...max`.
    case normal(mean: Double, stddev: Double, min: Int, max: Int)

    /// Parses `1024`, `uniform:512-2048` (or `512-2048`), `normal:1024,256,128,4096` (mean, sd, min, max).
    public init(parsing text: String, field: String) throws(ConfigError) {
        let t = text.trimmingWhitespace.lowercased()
        func int(_ s: Substring) throws(ConfigError) -> Int {
            guard let v = Int(s.trimmingWhitespace), v >= 1 else {
                throw ConfigError(field: field, message: "'\(s)' is not a positive whole number of tokens")
            }
            return v
        }
        if let v = Int(t) {
            guard v >= 1 else { throw ConfigError(field: field, message: "length must be at least 1 token, got \(v)") }
            self = .fixed(v)
        } else if t.hasPrefix("normal:") {
            let parts = t.dropFirst(7).split(separator: ",")
            guard parts.count == 4, let mean = Double(parts[0].trimmingWhitespace), let sd = Double(parts[1].trimmingWhitespace), sd >= 0 else {
                throw ConfigError(field: field, message: "'\(text)': write normal:MEAN,STDDEV,MIN,MAX, e.g. normal:1024,256,128,4096")
            }
            let lo = try int(parts[2])
            let hi = try int(parts[3])
            guard lo <= hi else { throw ConfigError(field: field, message: "'\(text)': MIN must not exceed MAX") }
            self = .normal(mean: mean, stddev: sd, min: lo, max: hi)
        } else {
            let body = t.hasPrefix("uniform:") ? t.dropFirst(8) : Substring(t)
            let parts = body.split(separator: "-")
            guard parts.count == 2 else {
                throw ConfigError(field: field, message: "'\(text)' is not a length; write 1024, uniform:512-2048 or normal:1024,256,128,4096")
            }
            let lo = try int(parts[0])
            let hi = try int(parts[1])
            guard lo <= hi else { throw ConfigError(field: field, message: "'\(text)': the range's low end exceeds its high end") }
            self = .uniform(min: lo, max: hi)
        }
    }

    /// Draws one length.
    public func sample(using rng: inout SeededGenerator) -> Int {
        switch self {
        case let .fixed(n): return n
        case let .uniform(lo, hi): return Int.random(in: lo...hi, using: &rng)
        case let .normal(mean, sd, lo, hi):
            let v = (mean + sd * rng.standardNormal()).rounded()
            return Swift.min(hi, Swift.max(lo, Int(v)))
        }
    }

    /// The nominal mean.
    public var nominalMean: Double {
        switch self {
        case let .fixed(n): Double(n)
        case let .uniform(lo, hi): Double(lo + hi) / 2
        case let .normal(mean, _, _, _): mean
        }
    }

    public var description: String {
        switch self {
        case let .fixed(n): "\(n)"
        case let .uniform(lo, hi): "uniform:\(lo)-\(hi)"
        case let .normal(m, sd, lo, hi): "normal:\(m),\(sd),\(lo),\(hi)"
        }
    }
}
