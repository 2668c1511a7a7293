import Synchronization

/// Lets at most `limit` connections be opened at once; the rest wait their turn in order.
///
/// Beyond the server's accept queue the kernel resets connections before any response byte, and such a request cannot
/// be told from one the server had started, so it may not be retried; waiting here shows as schedule lag instead. Why
/// the client's limit is 1,024: docs/performance.md.
final class ConnectGate: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        var head = 0
    }

    private let state: Mutex<State>

    init(limit: Int) { state = Mutex(State(available: max(1, limit))) }

    /// Waits for a turn.
    func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.available > 0 {
                    s.available -= 1
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Gives the turn to the longest waiter, or back to the pool.
    func leave() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.head < s.waiters.count else {
                s.available += 1
                return nil
            }
            let w = s.waiters[s.head]
            s.head += 1
            if s.head == s.waiters.count {
                s.waiters.removeAll(keepingCapacity: true)
                s.head = 0
            }
            return w
        }
        next?.resume()
    }
}
