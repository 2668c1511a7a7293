import NIOCore

/// One event loop's connections, whose timeouts one timer per loop checks (a timer per connection costs a timer-heap pop
/// and push per firing; docs/performance.md). Confined to its loop: every call comes on it.
final class ConnectionWatchdog: @unchecked Sendable {
    private let loop: any EventLoop
    private let interval: TimeAmount
    private var watched: [ObjectIdentifier: StreamingResponseHandler] = [:]
    private var timer: RepeatedTask?

    /// `readTimeoutNanoseconds` sets how often it looks: a quarter of it, between 50 ms and 1 s.
    init(loop: any EventLoop, readTimeoutNanoseconds: UInt64) {
        self.loop = loop
        interval = .nanoseconds(Int64(max(50_000_000, min(readTimeoutNanoseconds / 4, 1_000_000_000))))
    }

    func watch(_ handler: StreamingResponseHandler) {
        loop.assertInEventLoop()
        watched[ObjectIdentifier(handler)] = handler
        guard timer == nil else { return }
        timer = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            // A copy: a timed-out request closes its connection, which may stop watching it while this goes on.
            for handler in watched.values { handler.checkTimeouts() }
        }
    }

    func stopWatching(_ handler: StreamingResponseHandler) {
        loop.assertInEventLoop()
        watched[ObjectIdentifier(handler)] = nil
        guard watched.isEmpty else { return }
        timer?.cancel()
        timer = nil
    }
}
