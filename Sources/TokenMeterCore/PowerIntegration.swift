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

/// One reading of a GPU's cumulative energy counter (DCGM `DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION`).
public struct EnergyCounterSample: Codable, Sendable, Equatable {
    /// When it was taken (monotonic ns).
    public var timeNanoseconds: UInt64
    /// Which GPU.
    public var gpu: String
    /// Energy since the counter started, J.
    public var joules: Double

    /// Creates a reading.
    public init(timeNanoseconds: UInt64, gpu: String, joules: Double) {
        self.timeNanoseconds = timeNanoseconds
        self.gpu = gpu
        self.joules = joules
    }
}

/// Energy over a measurement window from power samples (and, where the source has one, the GPUs' own energy counters), with
/// the checks that make it trustworthy.
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
    /// `energy counter` when the GPUs' cumulative counters gave `joules`, else `trapezoid` (power samples integrated).
    public var method: String?
    /// Energy by integrating the power samples, J (equal to `joules` when that is the method).
    public var integratedJoules: Double?
    /// Energy from the GPUs' cumulative counters over the window, J, when every GPU's counter brackets it.
    public var counterJoules: Double?

    enum CodingKeys: String, CodingKey {
        case boundary, source, gpus, joules, meanWatts = "mean_w", meanWattsPerGPU = "mean_w_per_gpu", samples
        case maxGapSeconds = "max_gap_s", valid, problems, method, integratedJoules = "integrated_j", counterJoules = "counter_j"
    }

    /// Integrates each GPU's power over `window` by the trapezoid rule, interpolating linearly at the window's edges, and
    /// checks that the expected GPUs reported, that their samples bracket the window and that no gap exceeds
    /// `maxGapSeconds`. With energy counters that bracket the window for the expected GPUs, their difference is the energy
    /// and the integral a cross-check; a counter that goes backwards or leaves the window uncovered falls back to the
    /// integral, saying why.
    public init(samples: [PowerSample], counters: [EnergyCounterSample] = [], window: MeasurementWindow, expectedGPUs: Int, source: String,
                maxGapSeconds limit: Double = 3) {
        boundary = .gpuBoardMeasured
        self.source = source
        var problems: [String] = []
        var total = 0.0
        var used = 0
        var worstGap = 0.0
        let byGPU = Dictionary(grouping: samples, by: \.gpu)
        for (gpu, series) in byGPU.sorted(by: { $0.key < $1.key }) {
            guard let one = Self.integrate(series.sorted { $0.timeNanoseconds < $1.timeNanoseconds }, over: window) else {
                problems.append("GPU \(gpu): samples do not cover the whole window")
                continue
            }
            total += one.joules
            used += one.samples
            worstGap = max(worstGap, one.worstGap)
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
        method = "trapezoid"
        integratedJoules = total
        if !counters.isEmpty { adoptCounters(counters, window: window, expectedGPUs: expectedGPUs, limit: limit) }
    }

    /// One GPU's samples (in time order) integrated over the window: the joules, the samples inside it and the longest gap
    /// between real samples that touch it; nil when the samples do not bracket the window.
    static func integrate(_ s: [PowerSample], over window: MeasurementWindow) -> (joules: Double, samples: Int, worstGap: Double)? {
        guard let first = s.first, let last = s.last, first.timeNanoseconds <= window.startNanoseconds,
              last.timeNanoseconds >= window.endNanoseconds
        else { return nil }
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
        var joules = 0.0
        for (a, b) in zip(points, points.dropFirst()) {
            joules += (a.1 + b.1) / 2 * (Double(b.0 - a.0) / 1e9)
        }
        let inside = s.filter { $0.timeNanoseconds >= window.startNanoseconds && $0.timeNanoseconds <= window.endNanoseconds }
        let before = s.last { $0.timeNanoseconds < window.startNanoseconds }
        let afterEnd = s.first { $0.timeNanoseconds > window.endNanoseconds }
        let edges = [before].compactMap { $0 } + inside + [afterEnd].compactMap { $0 }
        var worstGap = 0.0
        for (a, b) in zip(edges, edges.dropFirst()) { worstGap = max(worstGap, Double(b.timeNanoseconds - a.timeNanoseconds) / 1e9) }
        return (joules, points.count - 2, worstGap)
    }

    /// Takes the energy counters' figure when they bracket the window for every expected GPU, keeping the integral beside it
    /// as a cross-check; otherwise says why they were not used.
    mutating func adoptCounters(_ counters: [EnergyCounterSample], window: MeasurementWindow, expectedGPUs: Int, limit: Double) {
        let total = integratedJoules ?? 0
        let seconds = window.seconds
        let (counted, counterProblems) = Self.counterEnergy(counters, window: window, expectedGPUs: expectedGPUs, limit: limit)
        counterJoules = counted
        guard let counted else {
            problems += counterProblems.map { "energy counter not used: \($0)" }
            return
        }
        method = "energy counter"
        joules = counted
        meanWatts = seconds > 0 ? counted / seconds : 0
        meanWattsPerGPU = expectedGPUs > 0 ? meanWatts / Double(expectedGPUs) : 0
        gpus = expectedGPUs
        // The counters stand on their own; the power samples' problems no longer make the figure invalid.
        problems = problems.map { "power samples: \($0)" }
        valid = seconds > 0
        if total > 0, abs(counted - total) / counted > 0.1 {
            problems.append("the energy counters (\(Int(counted.rounded())) J) and the integrated power samples "
                + "(\(Int(total.rounded())) J) differ by more than 10%")
        }
    }

    /// The counters' energy over the window, or why it cannot be trusted.
    private static func counterEnergy(_ counters: [EnergyCounterSample], window: MeasurementWindow, expectedGPUs: Int,
                                      limit: Double) -> (Double?, [String]) {
        let byGPU = Dictionary(grouping: counters, by: \.gpu)
        guard byGPU.count == expectedGPUs else { return (nil, ["\(byGPU.count) GPUs reported a counter, \(expectedGPUs) expected"]) }
        var total = 0.0
        for (gpu, series) in byGPU.sorted(by: { $0.key < $1.key }) {
            let s = series.sorted { $0.timeNanoseconds < $1.timeNanoseconds }
            guard let a = s.lastIndex(where: { $0.timeNanoseconds <= window.startNanoseconds }),
                  let b = s.firstIndex(where: { $0.timeNanoseconds >= window.endNanoseconds })
            else { return (nil, ["GPU \(gpu): readings do not cover the whole window"]) }
            let span = s[a...b]
            if zip(span, span.dropFirst()).contains(where: { $1.joules < $0.joules }) {
                return (nil, ["GPU \(gpu): the counter went backwards (reset) during the window"])
            }
            // The counter integrates in hardware, so only the two readings around each edge are interpolated: those gaps count.
            let edges = [s[a], s[min(a + 1, b)], s[max(b - 1, a)], s[b]]
            let gap = max(Double(edges[1].timeNanoseconds - edges[0].timeNanoseconds), Double(edges[3].timeNanoseconds - edges[2].timeNanoseconds)) / 1e9
            if gap > limit {
                return (nil, ["GPU \(gpu): a gap of \((gap * 10).rounded() / 10) s between readings at the window's edge exceeds \(limit) s"])
            }
            func value(at t: UInt64) -> Double {
                guard let after = s.firstIndex(where: { $0.timeNanoseconds >= t }) else { return s[s.count - 1].joules }
                if after == 0 || s[after].timeNanoseconds == t { return s[after].joules }
                let p = s[after - 1], q = s[after]
                return p.joules + (q.joules - p.joules) * Double(t - p.timeNanoseconds) / Double(q.timeNanoseconds - p.timeNanoseconds)
            }
            total += value(at: window.endNanoseconds) - value(at: window.startNanoseconds)
        }
        return (total, [])
    }

    /// Joules per token over the window for a token rate (tok/s of the same window); nil without tokens.
    public func joulesPerToken(tokensPerSecond: Double) -> Double? {
        tokensPerSecond > 0 ? meanWatts / tokensPerSecond : nil
    }
}
