import Synchronization
import TokenMeterCore
import TokenMeterResults

/// Live counters a progress line reads while a point runs, and the point's journal: every completed request passes
/// through `record`, from both kinds of runner.
public final class ProgressCounters: Sendable {
    private let journal = Mutex<TimelineJournal?>(nil)
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

    /// Sends every completed request of the point to `journal` from now on (nil: none).
    public func journal(_ journal: TimelineJournal?) { self.journal.withLock { $0 = journal } }

    func record(_ r: RequestRecord) {
        journal.withLock { $0 }?.append(r)
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
