import Synchronization
import TokenMeterCore

/// How arrivals are spaced in an open-loop run.
public enum ArrivalProcess: String, Codable, Sendable, CaseIterable {
    /// Exponential gaps (memoryless).
    case poisson
    /// Equal gaps of `1 / rate`.
    case constant
    /// Gamma gaps with shape = burstiness (1 is Poisson; below 1 burstier, above 1 smoother).
    case gamma
}

/// How load is offered at one sweep point.
public enum LoadMode: Sendable, Equatable {
    /// Closed loop: this many requests always in flight.
    case concurrency(Int)
    /// Open loop: requests arrive at `rate` per second, optionally capped in flight.
    case rate(Double, ArrivalProcess, burstiness: Double, maxConcurrency: Int?)

    /// Short label such as `c=8` or `rate=5/s`.
    public var label: String {
        switch self {
        case let .concurrency(c): "c=\(c)"
        case let .rate(r, _, _, _): "rate=\(r.formatted(decimals: 2))/s"
        }
    }
}

/// What to do with requests still in flight when a point's bound is reached.
public enum DrainRule: String, Codable, Sendable {
    /// Let them finish (up to the drain timeout); their tokens after the window do not count as throughput.
    case wait
    /// Cancel them at once; they are recorded as cancelled.
    case cancel
}

/// The bounds of one sweep point.
public struct PointBounds: Sendable {
    /// Warm-up requests (excluded from latency metrics).
    public var warmupRequests: Int
    /// Warm-up by time instead: requests scheduled in the first this-many seconds are warm-up.
    public var warmupSeconds: Double?
    /// Measured requests to send (count-bound points).
    public var measuredRequests: Int?
    /// Measurement duration in seconds (duration-bound points).
    public var durationSeconds: Double?
    /// In-flight rule at the end.
    public var drain: DrainRule
    /// Longest wait for in-flight requests after the bound.
    public var drainTimeoutSeconds: Double
    /// Hard limit on the whole point, warm-up and drain included.
    public var maxPointSeconds: Double

    /// Creates bounds.
    public init(warmupRequests: Int = 0, warmupSeconds: Double? = nil, measuredRequests: Int? = nil, durationSeconds: Double? = nil,
                drain: DrainRule = .wait, drainTimeoutSeconds: Double = 60, maxPointSeconds: Double = 600) {
        self.warmupRequests = warmupRequests
        self.warmupSeconds = warmupSeconds
        self.measuredRequests = measuredRequests
        self.durationSeconds = durationSeconds
        self.drain = drain
        self.drainTimeoutSeconds = drainTimeoutSeconds
        self.maxPointSeconds = maxPointSeconds
    }
}

/// The outcome of one sweep point: every record, the window, and why it stopped.
public struct PointRun: Sendable {
    /// Every request of the point, warm-up included, in send order.
    public var records: [RequestRecord]
    /// The measurement window.
    public var window: MeasurementWindow
    /// Offered request rate of an open-loop point.
    public var offeredRequestsPerSecond: Double?
    /// True when the run was interrupted (Ctrl-C) or hit its hard time limit.
    public var partial: Bool
    /// What ended the point, in words.
    public var stoppedBy: String
}

/// Live counters a progress line reads while a point runs.
public final class ProgressCounters: Sendable {
    private let doneCount = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)
    private let tokenCount = Atomic<Int>(0)
    private let plannedCount = Atomic<Int>(0)
    private let startNanos = Atomic<UInt64>(0)

    /// Creates zeroed counters.
    public init() {}

    /// Resets for a new point of `planned` requests (0 when duration-bound).
    public func reset(planned: Int) {
        doneCount.store(0, ordering: .relaxed)
        failedCount.store(0, ordering: .relaxed)
        tokenCount.store(0, ordering: .relaxed)
        plannedCount.store(planned, ordering: .relaxed)
        startNanos.store(MonotonicClock.nowNanoseconds(), ordering: .relaxed)
    }

    func record(_ r: RequestRecord) {
        doneCount.add(1, ordering: .relaxed)
        if !r.succeeded { failedCount.add(1, ordering: .relaxed) }
        tokenCount.add(r.outputTokens, ordering: .relaxed)
    }

    /// A consistent-enough snapshot: done, failed, output tokens, planned, seconds since reset.
    public var snapshot: (done: Int, failed: Int, tokens: Int, planned: Int, seconds: Double) {
        let start = startNanos.load(ordering: .relaxed)
        return (doneCount.load(ordering: .relaxed), failedCount.load(ordering: .relaxed), tokenCount.load(ordering: .relaxed),
                plannedCount.load(ordering: .relaxed), Double(MonotonicClock.nowNanoseconds() &- start) / 1e9)
    }
}

/// Drives one sweep point against an endpoint and collects the request timelines.
public struct LoadRunner: Sendable {
    /// The client to send with.
    public var client: StreamingHTTPClient
    /// Whether responses are streamed.
    public var streamed: Bool

    /// Creates a runner.
    public init(client: StreamingHTTPClient, streamed: Bool) {
        self.client = client
        self.streamed = streamed
    }

    /// Runs one point; `plan` and `prepared` are cycled when the point needs more requests than they hold.
    ///
    /// Each request goes out with `X-Request-Id: <requestIDPrefix><record id>`.
    public func run(mode: LoadMode, plan: [PlannedRequest], prepared: [PreparedRequest], bounds: PointBounds, seed: UInt64,
                    requestIDPrefix: String = "", progress: ProgressCounters? = nil) async -> PointRun {
        precondition(!plan.isEmpty && plan.count == prepared.count, "a point needs a non-empty plan")
        let origin = MonotonicClock.nowNanoseconds() + 5_000_000
        let hardDeadline = origin + UInt64(bounds.maxPointSeconds * 1e9)
        progress?.reset(planned: bounds.measuredRequests.map { $0 + bounds.warmupRequests } ?? 0)
        var arrivals: ArrivalClock?
        var offered: Double?
        if case let .rate(rate, process, burstiness, _) = mode {
            arrivals = ArrivalClock(origin: origin, rate: rate, process: process, burstiness: burstiness, seed: seed)
            offered = rate
        }
        let warmupEnd = bounds.warmupSeconds.map { origin + UInt64($0 * 1e9) }
        let streamed = self.streamed
        let client = self.client

        var measureStart: UInt64?
        var measureDeadline: UInt64?
        var stoppedBy = "request count reached"
        var partial = false

        let records = await withTaskGroup(of: Outcome.self, returning: [RequestRecord].self) { group in
            var out: [RequestRecord] = []
            var inFlight = 0
            var index = 0
            var measuredSent = 0
            // A timer child wakes the dispatcher at a deadline even while every slot is busy.
            func addTimer(at deadline: UInt64, _ kind: Outcome.Timer) {
                group.addTask {
                    let now = MonotonicClock.nowNanoseconds()
                    if deadline > now { try? await Task.sleep(nanoseconds: deadline - now) }
                    return .timer(kind)
                }
            }
            /// Waits for one child; false when a deadline timer fired instead of a request finishing.
            func awaitOne() async -> Bool {
                guard let outcome = await group.next() else { return true }
                switch outcome {
                case let .record(r):
                    inFlight -= 1
                    out.append(r)
                    return true
                case .timer(.deadline):
                    return false
                case .timer(.drain):
                    return true
                }
            }
            func pastDeadline(_ t: UInt64) -> Bool {
                if let measureDeadline, t >= measureDeadline { stoppedBy = "duration reached"; return true }
                if t >= hardDeadline { stoppedBy = "point time limit reached"; partial = true; return true }
                return false
            }
            addTimer(at: hardDeadline, .deadline)
            dispatch: while true {
                if Task.isCancelled { stoppedBy = "interrupted"; partial = true; break }
                if let measured = bounds.measuredRequests, measuredSent >= measured { break }
                let scheduled: UInt64
                switch mode {
                case let .concurrency(c):
                    while inFlight >= c {
                        if !(await awaitOne()), pastDeadline(MonotonicClock.nowNanoseconds()) { break dispatch }
                        if Task.isCancelled { stoppedBy = "interrupted"; partial = true; break dispatch }
                    }
                    scheduled = MonotonicClock.nowNanoseconds()
                case let .rate(_, _, _, cap):
                    scheduled = arrivals!.next()
                    if pastDeadline(scheduled) { break dispatch }
                    let now = MonotonicClock.nowNanoseconds()
                    if scheduled > now { try? await Task.sleep(nanoseconds: scheduled - now) }
                    if Task.isCancelled { stoppedBy = "interrupted"; partial = true; break dispatch }
                    if let cap {
                        while inFlight >= cap {
                            if !(await awaitOne()), pastDeadline(MonotonicClock.nowNanoseconds()) { break dispatch }
                            if Task.isCancelled { stoppedBy = "interrupted"; partial = true; break dispatch }
                        }
                    }
                }
                let isWarmup = index < bounds.warmupRequests || (warmupEnd.map { scheduled < $0 } ?? false)
                if !isWarmup, measureStart == nil {
                    measureStart = scheduled
                    if let d = bounds.durationSeconds {
                        measureDeadline = scheduled + UInt64(d * 1e9)
                        addTimer(at: measureDeadline!, .deadline)
                    }
                }
                if pastDeadline(scheduled) { break }
                let slot = index % plan.count
                let planned = plan[slot]
                let request = prepared[slot]
                let id = index
                group.addTask {
                    var record = RequestRecord(id: id, phase: isWarmup ? .warmup : .measured, scheduledNanoseconds: scheduled,
                                               promptTokensPlanned: planned.promptTokens, promptTokensExact: planned.exact,
                                               maxTokens: planned.maxTokens)
                    let raw = await client.execute(request, requestID: requestIDPrefix + String(id))
                    ResponseInterpreter.apply(raw, streamed: streamed, to: &record)
                    progress?.record(record)
                    return .record(record)
                }
                inFlight += 1
                index += 1
                if !isWarmup { measuredSent += 1 }
            }
            // Drain: wait (bounded) or cancel what is still in flight.
            if bounds.drain == .cancel || partial {
                group.cancelAll()
            } else if inFlight > 0 {
                let now = MonotonicClock.nowNanoseconds()
                let drainEnd = min(now + UInt64(bounds.drainTimeoutSeconds * 1e9), max(hardDeadline, now))
                group.addTask {
                    let now = MonotonicClock.nowNanoseconds()
                    if drainEnd > now { try? await Task.sleep(nanoseconds: drainEnd - now) }
                    return .timer(.drain)
                }
                drain: while inFlight > 0, let outcome = await group.next() {
                    switch outcome {
                    case let .record(r):
                        inFlight -= 1
                        out.append(r)
                    case .timer(.drain):
                        stoppedBy += "; drain timed out"
                        break drain
                    case .timer(.deadline):
                        continue
                    }
                }
                group.cancelAll()
            } else {
                group.cancelAll()
            }
            for await outcome in group { if case let .record(r) = outcome { out.append(r) } }
            return out.sorted { $0.id < $1.id }
        }

        let measured = records.filter { $0.phase == .measured }
        let start = measured.compactMap(\.sentNanoseconds).min() ?? measureStart ?? origin
        var end = measured.compactMap(\.completedNanoseconds).max() ?? start
        if let measureDeadline { end = min(end, measureDeadline) }
        return PointRun(records: records, window: MeasurementWindow(startNanoseconds: start, endNanoseconds: end),
                        offeredRequestsPerSecond: offered, partial: partial, stoppedBy: stoppedBy)
    }
}

/// What a child of a point's task group hands back: a finished request, or a timer that fired.
enum Outcome: Sendable {
    enum Timer: Sendable { case deadline, drain }
    case record(RequestRecord)
    case timer(Timer)
}

/// Absolute send deadlines of an open-loop schedule.
struct ArrivalClock {
    private var next_: Double
    private let rate: Double
    private let process: ArrivalProcess
    private let burstiness: Double
    private var rng: SeededGenerator
    private var first = true

    init(origin: UInt64, rate: Double, process: ArrivalProcess, burstiness: Double, seed: UInt64) {
        next_ = Double(origin)
        self.rate = rate
        self.process = process
        self.burstiness = burstiness
        rng = SeededGenerator(seed: seed ^ 0xA11C_E5)
    }

    /// The next deadline (monotonic ns); the first arrival is at the origin.
    mutating func next() -> UInt64 {
        if first {
            first = false
            return UInt64(next_)
        }
        let gapSeconds: Double = switch process {
        case .constant: 1 / rate
        case .poisson: -Foundation_log(rng.unitOpen()) / rate
        case .gamma: rng.gamma(shape: burstiness) / (rate * burstiness)
        }
        next_ += gapSeconds * 1e9
        return UInt64(next_)
    }
}

extension Double {
    /// The value rounded to `decimals` places, trailing zeros dropped.
    public func formatted(decimals: Int) -> String {
        var p = 1.0
        for _ in 0..<decimals { p *= 10 }
        let r = (self * p).rounded() / p
        if r.rounded() == r, abs(r) < 1e15 { return String(Int64(r)) }
        return String(r)
    }
}
