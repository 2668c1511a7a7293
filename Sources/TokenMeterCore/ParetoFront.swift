/// One operating point: how fast each user is served and how much the GPU delivers.
public struct FrontPoint: Codable, Sendable, Equatable {
    /// Interactivity, tokens per second per user (x).
    public var interactivity: Double
    /// Throughput, tokens per second per GPU (y).
    public var throughputPerGPU: Double
    /// What the point is (a sweep label, a configuration).
    public var label: String

    /// Creates a point.
    public init(interactivity: Double, throughputPerGPU: Double, label: String = "") {
        self.interactivity = interactivity
        self.throughputPerGPU = throughputPerGPU
        self.label = label
    }

    enum CodingKeys: String, CodingKey {
        case interactivity = "tok_s_user", throughputPerGPU = "tok_s_gpu", label
    }
}

/// The Pareto front of throughput per GPU against interactivity: points no other point beats on both.
public struct ParetoFront: Codable, Sendable, Equatable {
    /// Front points by increasing interactivity (so throughput decreases along it).
    public private(set) var points: [FrontPoint]

    /// Keeps the non-dominated points among `candidates` (finite, positive values only).
    public init(_ candidates: [FrontPoint]) {
        let usable = candidates.filter { $0.interactivity.isFinite && $0.throughputPerGPU.isFinite && $0.interactivity > 0 && $0.throughputPerGPU > 0 }
        var kept: [FrontPoint] = []
        var best = -Double.infinity
        for point in usable.sorted(by: { ($0.interactivity, $0.throughputPerGPU) > ($1.interactivity, $1.throughputPerGPU) }) {
            if point.throughputPerGPU > best {
                kept.append(point)
                best = point.throughputPerGPU
            }
        }
        points = kept.reversed()
    }

    /// The interactivity range the front covers; nil when empty.
    public var interactivityRange: ClosedRange<Double>? {
        guard let first = points.first, let last = points.last else { return nil }
        return first.interactivity...last.interactivity
    }

    /// Throughput per GPU at an interactivity, by a monotone (Steffen) spline through the front; nil outside it.
    public func throughput(atInteractivity x: Double) -> Double? {
        guard let range = interactivityRange, range.contains(x) else { return nil }
        if points.count == 1 { return points[0].throughputPerGPU }
        return SteffenSpline(x: points.map(\.interactivity), y: points.map(\.throughputPerGPU))?.value(at: x)
    }
}

/// Steffen's monotone cubic interpolation (A&A 239, 443, 1990): never overshoots, never extrapolates.
public struct SteffenSpline: Sendable {
    let x: [Double]
    let y: [Double]
    let slopes: [Double]

    /// Builds the spline; nil unless there are at least two points with strictly increasing `x`.
    public init?(x: [Double], y: [Double]) {
        guard x.count == y.count, x.count >= 2, zip(x, x.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
        self.x = x
        self.y = y
        let n = x.count
        let h = (0..<n - 1).map { x[$0 + 1] - x[$0] }
        let s = (0..<n - 1).map { (y[$0 + 1] - y[$0]) / h[$0] }
        var d = Array(repeating: 0.0, count: n)
        if n == 2 {
            d = [s[0], s[0]]
        } else {
            for i in 1..<n - 1 {
                let p = (s[i - 1] * h[i] + s[i] * h[i - 1]) / (h[i - 1] + h[i])
                d[i] = (Self.sign(s[i - 1]) + Self.sign(s[i])) * Swift.min(abs(s[i - 1]), abs(s[i]), 0.5 * abs(p))
            }
            d[0] = Self.endSlope(s0: s[0], s1: s[1], h0: h[0], h1: h[1])
            d[n - 1] = Self.endSlope(s0: s[n - 2], s1: s[n - 3], h0: h[n - 2], h1: h[n - 3])
        }
        slopes = d
    }

    private static func sign(_ v: Double) -> Double { v > 0 ? 1 : (v < 0 ? -1 : 0) }

    private static func endSlope(s0: Double, s1: Double, h0: Double, h1: Double) -> Double {
        let p = s0 * (1 + h0 / (h0 + h1)) - s1 * h0 / (h0 + h1)
        if sign(p) != sign(s0) { return 0 }
        if abs(p) > 2 * abs(s0) { return 2 * s0 }
        return p
    }

    /// The interpolated value; nil outside the knots.
    public func value(at t: Double) -> Double? {
        guard let first = x.first, let last = x.last, t >= first, t <= last else { return nil }
        var i = 0
        while i < x.count - 2, t > x[i + 1] { i += 1 }
        let h = x[i + 1] - x[i]
        let s = (y[i + 1] - y[i]) / h
        let a = (slopes[i] + slopes[i + 1] - 2 * s) / (h * h)
        let b = (3 * s - 2 * slopes[i] - slopes[i + 1]) / h
        let u = t - x[i]
        return ((a * u + b) * u + slopes[i]) * u + y[i]
    }
}
