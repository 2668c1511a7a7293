import TokenMeterCore
import TokenMeterResults

/// The search for the highest load that meets the objective, as a value: double the load until a probe fails (or the
/// ceiling is reached), then bisect between the highest passing probe and the lowest failing one until they are within
/// the tolerance, or the probes run out. `BenchSession` measures each probe it names and tells it whether the probe passed.
public struct CapacitySearch: Sendable, Equatable {
    /// What is searched.
    public enum Axis: Sendable, Equatable {
        /// Closed-loop concurrency (whole streams).
        case concurrency
        /// Open-loop arrival rate, requests per second, with the arrivals' shape and an in-flight cap.
        case rate(ArrivalProcess, burstiness: Double, maxConcurrency: Int?)
    }

    public let axis: Axis
    /// Stop when the bracket is this narrow, relative to its passing end (0.1 = 10%).
    public let tolerance: Double
    /// Most probes.
    public let maxProbes: Int
    /// Highest load probed.
    public let ceiling: Double
    /// Highest load that passed.
    public private(set) var passing: Double?
    /// Lowest load that failed.
    public private(set) var failing: Double?
    /// Loads probed, in order.
    public private(set) var probes: [Double] = []
    private var pending: Double?

    /// Creates a search from `start`.
    public init(axis: Axis, start: Double, tolerance: Double = 0.1, maxProbes: Int = 12, ceiling: Double? = nil) {
        self.axis = axis
        self.tolerance = max(0.01, tolerance)
        self.maxProbes = max(1, maxProbes)
        self.ceiling = ceiling ?? (axis == .concurrency ? 4096 : 100_000)
        pending = Self.rounded(max(start, axis == .concurrency ? 1 : 0.01), axis)
    }

    /// The next probe's load mode, or nil when the search is over.
    public mutating func next() -> LoadMode? {
        guard let load = pending, probes.count < maxProbes else { return nil }
        pending = nil
        probes.append(load)
        switch axis {
        case .concurrency: return .concurrency(Int(load))
        case let .rate(process, burstiness, cap): return .rate(load, process, burstiness: burstiness, maxConcurrency: cap)
        }
    }

    /// The last probe passed or not; decides the next one.
    public mutating func record(passed: Bool) {
        guard let load = probes.last else { return }
        if passed { passing = max(passing ?? load, load) } else { failing = min(failing ?? load, load) }
        pending = nextLoad()
    }

    private func nextLoad() -> Double? {
        guard let failing else {
            // Still rising: double, up to the ceiling.
            guard let passing, passing < ceiling else { return nil }
            return Self.rounded(min(passing * 2, ceiling), axis)
        }
        guard let passing else {
            // The first probe already failed: halve toward the floor.
            let floor = axis == .concurrency ? 1.0 : 0.01
            guard failing > floor else { return nil }
            let half = Self.rounded(max(failing / 2, floor), axis)
            return half < failing ? half : nil
        }
        if failing - passing <= max(axis == .concurrency ? 1 : 0, passing * tolerance) { return nil }
        let middle = Self.rounded((passing + failing) / 2, axis)
        return middle > passing && middle < failing ? middle : nil
    }

    static func rounded(_ load: Double, _ axis: Axis) -> Double {
        axis == .concurrency ? max(1, load.rounded()) : (load * 1000).rounded() / 1000
    }

    /// Why it stopped, in words.
    public var stopReason: String {
        if probes.count >= maxProbes, pending != nil { return "stopped after \(maxProbes) probes" }
        switch (passing, failing) {
        case (nil, _): return "no load met the objective"
        case (_, nil): return "every probe met the objective, up to \(Self.label(ceiling, axis))"
        case let (p?, f?): return "bracketed between \(Self.label(p, axis)) (met) and \(Self.label(f, axis)) (missed)"
        }
    }

    static func label(_ load: Double, _ axis: Axis) -> String {
        axis == .concurrency ? "c=\(Int(load))" : "\(load.formatted(decimals: 2)) req/s"
    }

    /// Whether a measured point meets the objective at a sustainable load: every bound holds, at most 1% of requests failed,
    /// and the load did not saturate the server (an open loop that completed under 90% of what it offered, or a TTFT that
    /// kept rising through the window: a queue building up). The reason is said either way.
    public static func verdict(_ point: PointResult, records: [RequestRecord]) -> (passed: Bool, why: String) {
        let m = point.metrics
        guard let goodput = m.goodput else { return (false, "no objective to check") }
        if !goodput.passed { return (false, "missed: " + goodput.violations.joined(separator: "; ")) }
        if m.requestsMeasured > 0, Double(m.requestsFailed) > 0.01 * Double(m.requestsMeasured) {
            return (false, "\(m.requestsFailed) of \(m.requestsMeasured) requests failed")
        }
        if let offered = m.offeredRequestsPerSecond, offered > 0, m.requestsPerSecond < 0.9 * offered {
            return (false, "saturated: completed \(m.requestsPerSecond.formatted(decimals: 2)) of \(offered.formatted(decimals: 2)) req/s offered")
        }
        if let rising = trend(records, { RequestLatency($0)?.ttftMs }), rising.last > 1.5 * rising.first, rising.last - rising.first > 50 {
            return (false, "saturated: TTFT p50 rose from \(rising.first.formatted(decimals: 0)) to \(rising.last.formatted(decimals: 0)) ms across the window")
        }
        // Requests held back by the in-flight cap (or a client that cannot keep up) wait longer and longer to be sent.
        let queued: (RequestRecord) -> Double? = { r in r.sentNanoseconds.map { Double(Int64(bitPattern: $0 &- r.scheduledNanoseconds)) / 1e6 } }
        if let rising = trend(records, queued), rising.last > 1.5 * rising.first, rising.last - rising.first > 50 {
            return (false, "saturated: queue time p50 rose from \(rising.first.formatted(decimals: 0)) to \(rising.last.formatted(decimals: 0)) ms")
        }
        return (true, "met every bound")
    }

    /// The p50 of `value` over the first and the last third of the measured requests in schedule order, when there are
    /// enough of them.
    static func trend(_ records: [RequestRecord], _ value: (RequestRecord) -> Double?) -> (first: Double, last: Double)? {
        let timed = records.filter { $0.phase == .measured }.sorted { $0.scheduledNanoseconds < $1.scheduledNanoseconds }.compactMap(value)
        guard timed.count >= 9 else { return nil }
        let third = timed.count / 3
        guard let first = Distribution(Array(timed.prefix(third)))?.p50, let last = Distribution(Array(timed.suffix(third)))?.p50 else { return nil }
        return (first, last)
    }
}
