import Synchronization

/// Lets at most `limit` connections be opened at once; the rest wait their turn in order.
///
/// A closed loop at 10,000 streams opens 10,000 connections in its first instant; beyond the server's accept queue
/// (`net.core.somaxconn`, often 4,096) the kernel resets them before any response byte, and the client cannot tell such a
/// request from one the server had started, so it may not retry it. Waiting here shows up as schedule lag instead. The
/// client's limit is 1,024: a lower one (256) moved connect work into the first tokens of a 512-stream point and made its
/// TTFT error worse.
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
