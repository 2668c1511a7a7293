import NIOCore
import Synchronization
import TokenMeterCore

/// One event loop's requests that wait for their send time, in a min-heap by time.
///
/// A busy loop runs its tasks and timers only after a burst of reads, so the loop's response handlers call `fireIfDue`
/// after each read, and one timer per loop (set for the earliest send) calls it when the loop is idle: a due request
/// goes out within one read of its time, for one atomic load per read while nothing is due (docs/performance.md).
final class DueSends: Sendable {
    private let loop: any EventLoop
    /// The earliest waiting send's time, `.max` when none waits: read after every read without the lock.
    private let earliest = Atomic<UInt64>(.max)
    private let state = Mutex<State>(State())

    private struct State {
        var waiting = DueHeap<ChainDriver>()
        /// The time the loop's timer is set for, `.max` when none is.
        var timerAt: UInt64 = .max
    }

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Queues `driver`'s request to be written at `due` (monotonic ns) by this loop, the loop of its connection.
    func add(_ driver: ChainDriver, at due: UInt64) {
        let setTimer = state.withLock { state -> Bool in
            state.waiting.push(due, driver)
            earliest.store(state.waiting.firstDue ?? .max, ordering: .relaxed)
            guard due < state.timerAt else { return false }
            state.timerAt = due
            return true
        }
        if setTimer { self.setTimer(at: due) }
    }

    /// Writes every waiting request whose time has come, earliest first (requests due at the same time in the order they
    /// were added); on the loop.
    func fireIfDue() {
        let now = MonotonicClock.nowNanoseconds()
        guard now >= earliest.load(ordering: .relaxed) else { return }
        let ready = state.withLock { state -> [ChainDriver] in
            var ready: [ChainDriver] = []
            while let first = state.waiting.firstDue, first <= now { ready.append(state.waiting.pop()) }
            earliest.store(state.waiting.firstDue ?? .max, ordering: .relaxed)
            return ready
        }
        for driver in ready { driver.start() }
    }

    /// NIO's timers run on its own clock, and a relative delay measured on two clocks can differ by microseconds, so a
    /// timer can go off before its time by this clock; the earliest waiting send then gets a timer again.
    private func setTimer(at time: UInt64) {
        let now = MonotonicClock.nowNanoseconds()
        loop.scheduleTask(in: .nanoseconds(Int64(time > now ? time - now : 0))) { self.timerFired(at: time) }
    }

    private func timerFired(at time: UInt64) {
        fireIfDue()
        let next = state.withLock { state -> UInt64? in
            // A timer set for a later time than the current one was replaced by an earlier one, which sets the next.
            guard state.timerAt == time else { return nil }
            state.timerAt = state.waiting.firstDue ?? .max
            return state.waiting.firstDue
        }
        if let next { setTimer(at: next) }
    }
}
