import Synchronization
import TokenMeterCore

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
