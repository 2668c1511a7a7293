/// A two-sided 95% confidence interval of a mean, from independent samples (Student's t).
public struct ConfidenceInterval: Codable, Sendable, Equatable {
    /// Sample mean.
    public var mean: Double
    /// Half-width of the interval.
    public var halfWidth: Double
    /// Number of samples.
    public var samples: Int

    /// Lower bound.
    public var lower: Double { mean - halfWidth }
    /// Upper bound.
    public var upper: Double { mean + halfWidth }

    /// Creates an interval directly.
    public init(mean: Double, halfWidth: Double, samples: Int) {
        self.mean = mean
        self.halfWidth = halfWidth
        self.samples = samples
    }

    /// The interval of the mean of `values`; nil below two samples.
    public init?(samples values: [Double]) {
        guard values.count >= 2 else { return nil }
        let n = Double(values.count)
        let m = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
        mean = m
        halfWidth = ConfidenceInterval.t975(degreesOfFreedom: values.count - 1) * (variance / n).squareRoot()
        samples = values.count
    }

    /// The 97.5th percentile of Student's t distribution.
    public static func t975(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
                               2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
                               2.045, 2.042]
        if df >= 1, df <= table.count { return table[df - 1] }
        if df <= 40 { return 2.021 }
        if df <= 60 { return 2.000 }
        if df <= 120 { return 1.980 }
        return 1.960
    }

    enum CodingKeys: String, CodingKey { case mean, halfWidth = "half_width_95", samples }
}
