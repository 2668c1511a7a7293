import Synchronization
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterOpenAI
import TokenMeterResults
import TokenMeterWorkloads

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
    /// Closed loop: slot k of c sends its first request at `k / c` of this (seconds) after the start.
    public var rampUpSeconds: Double

    /// Creates bounds.
    public init(warmupRequests: Int = 0, warmupSeconds: Double? = nil, measuredRequests: Int? = nil, durationSeconds: Double? = nil,
                drain: DrainRule = .wait, drainTimeoutSeconds: Double = 60, maxPointSeconds: Double = 600,
                rampUpSeconds: Double = 0) {
        self.warmupRequests = warmupRequests
        self.warmupSeconds = warmupSeconds
        self.measuredRequests = measuredRequests
        self.durationSeconds = durationSeconds
        self.drain = drain
        self.drainTimeoutSeconds = drainTimeoutSeconds
        self.maxPointSeconds = maxPointSeconds
        self.rampUpSeconds = rampUpSeconds
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
    /// Each request goes out with `X-Request-Id: <requestIDPrefix><record id>`. A closed loop runs one chain per slot
    /// (`StreamingHTTPClient.runChain`): a slot's next request is claimed and written on the event loop that read the end
    /// of the one before, so its schedule lag does not wait for the loop's other reads. Its connections are opened before
    /// the point starts, so the first round does not wait for connects either. An open loop sends each arrival at its
    /// scheduled time. Responses are decoded here, off the event loops.
    public func run(mode: LoadMode, plan: [PlannedRequest], prepared: [PreparedRequest], bounds: PointBounds, seed: UInt64,
                    requestIDPrefix: String = "", progress: ProgressCounters? = nil) async -> PointRun {
        precondition(!plan.isEmpty && plan.count == prepared.count, "a point needs a non-empty plan")
        let client = self.client
        let streamed = self.streamed
        let planned = bounds.measuredRequests.map { $0 + bounds.warmupRequests }
        if case let .concurrency(c) = mode { await client.preconnect(min(c, planned ?? c)) }
        // Room before the first send: an open loop readies each arrival's connection `lead` ahead of its time, and a closed
        // loop spawns one chain per slot first.
        let lead: UInt64 = 200_000_000
        let origin = switch mode {
        case let .concurrency(c): MonotonicClock.nowNanoseconds() + 20_000_000 + UInt64(c) * 20_000
        case .rate: MonotonicClock.nowNanoseconds() + lead + 5_000_000
        }
        let schedule = PointSchedule(bounds: bounds, origin: origin)
        progress?.reset(planned: planned ?? 0)
        let inbox = PointInbox()
        let chained: @Sendable (PointSchedule.Claim) -> ChainedRequest = { PointSchedule.request($0, prepared, requestIDPrefix) }
        let hooks = ChainHooks(next: {
            schedule.claim(at: MonotonicClock.nowNanoseconds()).map(chained)
        }, completed: { request, response in
            inbox.push(.response(request.tag, response))
        })
        var offered: Double?
        if case let .rate(rate, _, _, _) = mode { offered = rate }

        let records = await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self, returning: [RequestRecord].self) { group in
                var producers = 0
                switch mode {
                case let .concurrency(c):
                    // The first round is claimed here, in slot order, and each chain's first request is written at its
                    // time by its event loop.
                    for k in 0..<c {
                        let offset = UInt64(bounds.rampUpSeconds * 1e9 * Double(k) / Double(c))
                        guard let first = schedule.claim(at: origin + offset) else { break }
                        producers += 1
                        group.addTask {
                            await client.runChain(first: chained(first), hooks: hooks, sendAt: first.scheduled)
                            inbox.push(.producerEnded)
                        }
                    }
                case let .rate(rate, process, burstiness, cap):
                    producers = 1
                    group.addTask {
                        var arrivals = ArrivalClock(origin: origin, rate: rate, process: process, burstiness: burstiness, seed: seed)
                        await Self.arrive(&arrivals, lead: lead, cap: cap, schedule: schedule) { claim in
                            await client.runChain(first: chained(claim), hooks: ChainHooks(next: { nil }, completed: hooks.completed),
                                                  sendAt: claim.scheduled)
                        }
                        inbox.push(.producerEnded)
                    }
                }
                group.addTask {
                    // Wakes the dispatcher to check the deadlines while every request is busy.
                    while !Task.isCancelled {
                        try? await Task.sleep(nanoseconds: 50_000_000)
                        inbox.push(.tick)
                    }
                }
                var out: [RequestRecord] = []
                var drainEnd: UInt64?
                var cancelled = false
                while producers > 0 {
                    for event in await inbox.next() {
                        switch event {
                        case let .response(id, raw):
                            let claim = schedule.claim(id)
                            let planned = plan[id % plan.count]
                            var record = RequestRecord(id: id, phase: claim.isWarmup ? .warmup : .measured,
                                                       scheduledNanoseconds: claim.scheduled, promptTokensPlanned: planned.promptTokens,
                                                       promptTokensExact: planned.exact, maxTokens: planned.maxTokens)
                            ResponseInterpreter.apply(raw, streamed: streamed, to: &record)
                            progress?.record(record)
                            out.append(record)
                        case .producerEnded:
                            producers -= 1
                        case .tick:
                            break
                        }
                    }
                    // Drain: once no more requests will be sent, wait (bounded) or cancel what is still in flight.
                    let now = MonotonicClock.nowNanoseconds()
                    schedule.stop(ifPast: now)
                    guard !cancelled, let stop = schedule.stopped else { continue }
                    if bounds.drain == .cancel || stop.partial {
                        cancelled = true
                    } else if let drainEnd {
                        if now >= drainEnd {
                            schedule.noteDrainTimedOut()
                            cancelled = true
                        }
                    } else {
                        drainEnd = min(now + UInt64(bounds.drainTimeoutSeconds * 1e9), max(schedule.hardDeadline, now))
                    }
                    if cancelled { group.cancelAll() }
                }
                group.cancelAll()
                return out.sorted { $0.id < $1.id }
            }
        } onCancel: {
            schedule.stop("interrupted", partial: true)
            inbox.push(.tick)
        }

        let outcome = schedule.stopped ?? (reason: "request count reached", partial: false)
        let measured = records.filter { $0.phase == .measured }
        let (measureStart, measureDeadline) = schedule.measurement
        let start = measured.compactMap(\.sentNanoseconds).min() ?? measureStart ?? origin
        var end = measured.compactMap(\.completedNanoseconds).max() ?? start
        if let measureDeadline { end = min(end, measureDeadline) }
        return PointRun(records: records, window: MeasurementWindow(startNanoseconds: start, endNanoseconds: end),
                        offeredRequestsPerSecond: offered, partial: outcome.partial, stoppedBy: outcome.reason)
    }

    /// The open loop: `lead` before each arrival, waits for a free slot under `cap` and hands the request to `send`, which
    /// readies a connection and writes it at its time; then lets the last ones finish.
    private static func arrive(_ arrivals: inout ArrivalClock, lead: UInt64, cap: Int?, schedule: PointSchedule,
                               send: @escaping @Sendable (PointSchedule.Claim) async -> Void) async {
        await withTaskGroup(of: Void.self) { requests in
            var inFlight = 0
            while true {
                let scheduled = arrivals.next()
                guard schedule.admits(scheduled) else { break }
                await sleep(until: scheduled - lead)
                if let cap {
                    while inFlight >= cap, !Task.isCancelled, await requests.next() != nil { inFlight -= 1 }
                }
                if Task.isCancelled { break }
                guard let claim = schedule.claim(at: scheduled) else { break }
                requests.addTask { await send(claim) }
                inFlight += 1
            }
        }
    }

    private static func sleep(until deadline: UInt64) async {
        let now = MonotonicClock.nowNanoseconds()
        if deadline > now { try? await Task.sleep(nanoseconds: deadline - now) }
    }
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
        case .poisson: rng.exponential() / rate
        case .gamma: rng.gamma(shape: burstiness) / (rate * burstiness)
        }
        next_ += gapSeconds * 1e9
        return UInt64(next_)
    }
}
