/// One power reading of one GPU.
public struct PowerSample: Codable, Sendable, Equatable {
    /// When it was taken (monotonic ns).
    public var timeNanoseconds: UInt64
    /// Which GPU (index or UUID as the source names it).
    public var gpu: String
    /// Board power, W.
    public var watts: Double

    /// Creates a sample.
    public init(timeNanoseconds: UInt64, gpu: String, watts: Double) {
        self.timeNanoseconds = timeNanoseconds
        self.gpu = gpu
        self.watts = watts
    }
}

/// Energy over a measurement window from power samples, with the checks that make it trustworthy.
public struct EnergyMeasurement: Codable, Sendable, Equatable {
    /// Always `gpu-board-measured`: readings are the GPUs' own board power.
    public var boundary: PowerBoundary
    /// Where the samples came from (`dcgm`, `nvidia-smi`, …).
    public var source: String
    /// GPUs that reported.
    public var gpus: Int
    /// Energy of all GPUs over the window, J.
    public var joules: Double
    /// Mean power of all GPUs together, W.
    public var meanWatts: Double
    /// Mean power per GPU, W.
    public var meanWattsPerGPU: Double
    /// Samples used.
    public var samples: Int
    /// Longest gap between two samples of one GPU inside the window, s.
    public var maxGapSeconds: Double
    /// True when every check passed.
    public var valid: Bool
    /// Each failed check, in words.
    public var problems: [String]

    enum CodingKeys: String, CodingKey {
        case boundary, source, gpus, joules, meanWatts = "mean_w", meanWattsPerGPU = "mean_w_per_gpu", samples
        case maxGapSeconds = "max_gap_s", valid, problems
    }

    /// Integrates each GPU's power over `window` by the trapezoid rule, interpolating linearly at the window's edges.
    ///
    /// Checks: the expected number of GPUs reported, every GPU's samples bracket the window, and no gap inside it exceeds
    /// `maxGapSeconds`.
    public init(samples: [PowerSample], window: MeasurementWindow, expectedGPUs: Int, source: String, maxGapSeconds limit: Double = 3) {
        boundary = .gpuBoardMeasured
        self.source = source
        var problems: [String] = []
        var total = 0.0
        var used = 0
        var worstGap = 0.0
        let byGPU = Dictionary(grouping: samples, by: \.gpu)
        for (gpu, series) in byGPU.sorted(by: { $0.key < $1.key }) {
            let s = series.sorted { $0.timeNanoseconds < $1.timeNanoseconds }
            guard let first = s.first, let last = s.last, first.timeNanoseconds <= window.startNanoseconds,
                  last.timeNanoseconds >= window.endNanoseconds
            else {
                problems.append("GPU \(gpu): samples do not cover the whole window")
                continue
            }
            func power(at t: UInt64) -> Double {
                // Linear interpolation between the samples around t.
                guard let after = s.firstIndex(where: { $0.timeNanoseconds >= t }) else { return last.watts }
                if after == 0 || s[after].timeNanoseconds == t { return s[after].watts }
                let a = s[after - 1]
                let b = s[after]
                let f = Double(t - a.timeNanoseconds) / Double(b.timeNanoseconds - a.timeNanoseconds)
                return a.watts + (b.watts - a.watts) * f
            }
            var points: [(UInt64, Double)] = [(window.startNanoseconds, power(at: window.startNanoseconds))]
            for sample in s where sample.timeNanoseconds > window.startNanoseconds && sample.timeNanoseconds < window.endNanoseconds {
                points.append((sample.timeNanoseconds, sample.watts))
            }
            points.append((window.endNanoseconds, power(at: window.endNanoseconds)))
            used += points.count - 2
            for (a, b) in zip(points, points.dropFirst()) {
                let seconds = Double(b.0 - a.0) / 1e9
                total += (a.1 + b.1) / 2 * seconds
            }
            // Gaps between real samples that touch the window.
            let inside = s.filter { $0.timeNanoseconds >= window.startNanoseconds && $0.timeNanoseconds <= window.endNanoseconds }
            let before = s.last { $0.timeNanoseconds < window.startNanoseconds }
            let afterEnd = s.first { $0.timeNanoseconds > window.endNanoseconds }
            let edges = [before].compactMap { $0 } + inside + [afterEnd].compactMap { $0 }
            for (a, b) in zip(edges, edges.dropFirst()) { worstGap = max(worstGap, Double(b.timeNanoseconds - a.timeNanoseconds) / 1e9) }
        }
        let reporting = byGPU.count
        if reporting != expectedGPUs { problems.append("\(reporting) GPUs reported power, \(expectedGPUs) expected") }
        if worstGap > limit { problems.append("a gap of \((worstGap * 10).rounded() / 10) s between samples exceeds \(limit) s") }
        gpus = reporting
        joules = total
        let seconds = window.seconds
        meanWatts = seconds > 0 ? total / seconds : 0
        meanWattsPerGPU = reporting > 0 ? meanWatts / Double(reporting) : 0
        self.samples = used
        maxGapSeconds = worstGap
        valid = problems.isEmpty && seconds > 0
        self.problems = problems
    }

    /// Joules per token over the window for a token rate (tok/s of the same window); nil without tokens.
    public func joulesPerToken(tokensPerSecond: Double) -> Double? {
        tokensPerSecond > 0 ? meanWatts / tokensPerSecond : nil
    }
}
