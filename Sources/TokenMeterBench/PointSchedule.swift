import Synchronization
import TokenMeterCore
import TokenMeterHTTP

/// Hands out a point's request ids in send order and decides when it stops sending.
///
/// The dispatcher and the client's event loops (which claim a closed loop's next request the moment a slot frees) share
/// it, so every decision is taken under one lock: warm-up or measured, the count bound, the duration and the hard limit.
final class PointSchedule: Sendable {
    /// One claimed request.
    struct Claim: Sendable {
        var id: Int
        var scheduled: UInt64
        var isWarmup: Bool
    }

    private struct State {
        var claims: [Claim] = []
        var measuredSent = 0
        var measureStart: UInt64?
        var measureDeadline: UInt64?
        var stopReason: String?
        var partial = false
    }

    private let bounds: PointBounds
    private let warmupEnd: UInt64?
    /// The point's hard limit (monotonic ns), warm-up and drain included.
    let hardDeadline: UInt64
    private let state = Mutex(State())

    init(bounds: PointBounds, origin: UInt64) {
        self.bounds = bounds
        hardDeadline = origin + UInt64(bounds.maxPointSeconds * 1e9)
        warmupEnd = bounds.warmupSeconds.map { origin + UInt64($0 * 1e9) }
    }

    /// The next request, scheduled at `scheduled`; nil once the point sends no more (and from then on).
    func claim(at scheduled: UInt64) -> Claim? {
        state.withLock { s -> Claim? in
            guard s.stopReason == nil else { return nil }
            if let measured = bounds.measuredRequests, s.measuredSent >= measured {
                s.stopReason = "request count reached"
                return nil
            }
            let id = s.claims.count
            let isWarmup = id < bounds.warmupRequests || (warmupEnd.map { scheduled < $0 } ?? false)
            if !isWarmup, s.measureStart == nil {
                s.measureStart = scheduled
                if let d = bounds.durationSeconds { s.measureDeadline = scheduled + UInt64(d * 1e9) }
            }
            if stopIfPast(scheduled, &s) { return nil }
            let claim = Claim(id: id, scheduled: scheduled, isWarmup: isWarmup)
            s.claims.append(claim)
            if !isWarmup { s.measuredSent += 1 }
            return claim
        }
    }

    /// The claim of request `id`.
    func claim(_ id: Int) -> Claim { state.withLock { $0.claims[id] } }

    /// False when a request scheduled at `time` would not be sent (so an open loop need not sleep until then).
    func admits(_ time: UInt64) -> Bool {
        state.withLock { s in s.stopReason == nil && time < hardDeadline && (s.measureDeadline.map { time < $0 } ?? true) }
    }

    /// Stops the point when `now` is past its duration or its hard limit.
    func stop(ifPast now: UInt64) {
        state.withLock { s in if s.stopReason == nil { _ = stopIfPast(now, &s) } }
    }

    /// Stops the point for `reason`, unless it already stopped.
    func stop(_ reason: String, partial: Bool) {
        state.withLock { s in
            guard s.stopReason == nil else { return }
            s.stopReason = reason
            s.partial = partial
        }
    }

    /// Records that the requests still in flight after the drain timeout were cancelled.
    func noteDrainTimedOut() { state.withLock { s in s.stopReason = (s.stopReason ?? "") + "; drain timed out" } }

    /// Why the point stopped sending and whether it was cut short; nil while it is still sending.
    var stopped: (reason: String, partial: Bool)? {
        state.withLock { s in s.stopReason.map { ($0, s.partial) } }
    }

    /// When the measured requests started, and the end of a duration-bound measurement.
    var measurement: (start: UInt64?, deadline: UInt64?) { state.withLock { ($0.measureStart, $0.measureDeadline) } }

    /// The measurement window of a point's records: first measured send to last measured end, cut at a duration bound.
    func window(of records: [RequestRecord], origin: UInt64) -> MeasurementWindow {
        let measured = records.filter { $0.phase == .measured }
        let (measureStart, measureDeadline) = measurement
        let start = measured.compactMap(\.sentNanoseconds).min() ?? measureStart ?? origin
        var end = measured.compactMap(\.completedNanoseconds).max() ?? start
        if let measureDeadline { end = min(end, measureDeadline) }
        return MeasurementWindow(startNanoseconds: start, endNanoseconds: max(start, end))
    }

    /// The request to send for `claim`: the plan is cycled, and the id goes out as `X-Request-Id`.
    static func request(_ claim: Claim, _ prepared: [PreparedRequest], _ idPrefix: String) -> ChainedRequest {
        ChainedRequest(request: prepared[claim.id % prepared.count], requestID: idPrefix + String(claim.id), tag: claim.id)
    }

    private func stopIfPast(_ t: UInt64, _ s: inout State) -> Bool {
        if let deadline = s.measureDeadline, t >= deadline {
            s.stopReason = "duration reached"
            return true
        }
        if t >= hardDeadline {
            s.stopReason = "point time limit reached"
            s.partial = true
            return true
        }
        return false
    }
}

/// Where a point's responses and wake-ups queue for the dispatcher; any thread may push, the dispatcher takes them all.
///
/// Unlike an `AsyncStream`, it does not end when the dispatcher's task is cancelled: after Ctrl-C the cancelled
/// requests still come back and are kept.
final class PointInbox: Sendable {
    enum Event: Sendable {
        /// Request `id` ended (succeeded, failed or cancelled).
        case response(Int, RawResponse)
        /// A chain or the open-loop arrival task finished.
        case producerEnded
        /// Time to look at the deadlines.
        case tick
    }

    private struct State {
        var events: [Event] = []
        var waiter: CheckedContinuation<[Event], Never>?
    }

    private let state = Mutex(State())

    func push(_ event: Event) {
        let waiter = state.withLock { s -> CheckedContinuation<[Event], Never>? in
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter
            }
            s.events.append(event)
            return nil
        }
        waiter?.resume(returning: [event])
    }

    /// Every event queued so far, in order; waits for one when none is.
    func next() async -> [Event] {
        await withCheckedContinuation { (continuation: CheckedContinuation<[Event], Never>) in
            let ready = state.withLock { s -> [Event]? in
                if s.events.isEmpty {
                    s.waiter = continuation
                    return nil
                }
                defer { s.events = [] }
                return s.events
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
