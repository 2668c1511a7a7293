/// Summary of a sample: count, mean, extremes and the percentiles every report shows.
public struct Distribution: Codable, Sendable, Equatable {
    /// Number of values.
    public var count: Int
    /// Arithmetic mean.
    public var mean: Double
    /// Smallest value.
    public var min: Double
    /// Largest value.
    public var max: Double
    /// Median.
    public var p50: Double
    /// 90th percentile.
    public var p90: Double
    /// 95th percentile.
    public var p95: Double
    /// 99th percentile.
    public var p99: Double

    /// Summarises values; nil when there are none.
    public init?(_ values: [Double]) { self.init(ascending: values.sorted()) }

    /// Summarises values, sorting them in place (no copy of a large sample); nil when there are none.
    public init?(sorting values: inout [Double]) {
        values.sort()
        self.init(ascending: values)
    }

    /// Summarises values already in ascending order; nil when there are none.
    init?(ascending sorted: [Double]) {
        guard !sorted.isEmpty else { return nil }
        count = sorted.count
        mean = sorted.reduce(0, +) / Double(sorted.count)
        min = sorted[0]
        max = sorted[sorted.count - 1]
        p50 = Distribution.percentile(sorted: sorted, 50)
        p90 = Distribution.percentile(sorted: sorted, 90)
        p95 = Distribution.percentile(sorted: sorted, 95)
        p99 = Distribution.percentile(sorted: sorted, 99)
    }

    /// The distribution of every value plus `offset` (a constant cost added to each).
    public func shifted(by offset: Double) -> Distribution {
        var d = self
        for path in [\Distribution.mean, \.min, \.max, \.p50, \.p90, \.p95, \.p99] { d[keyPath: path] += offset }
        return d
    }

        /// Percentile `p` (0–100) of ascending values with linear interpolation between ranks (NumPy's default).
    public static func percentile(sorted: [Double], _ p: Double) -> Double {
        precondition(!sorted.isEmpty, "percentile of an empty sample")
        if sorted.count == 1 { return sorted[0] }
        let rank = (p / 100) * Double(sorted.count - 1)
        let lower = Int(rank.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = rank - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    /// The value at a named percentile (50, 90, 95, 99), or nil for any other.
    public func value(atPercentile p: Int) -> Double? {
        switch p {
        case 50: p50
        case 90: p90
        case 95: p95
        case 99: p99
        default: nil
        }
    }
}
