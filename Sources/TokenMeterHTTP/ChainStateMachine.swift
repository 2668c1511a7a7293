import TokenMeterCore

/// Why a chain left its connection.
enum ChainExit: Sendable {
    /// The chain is over; the connection may go back to the pool when `reusable`.
    case ended(reusable: Bool)
    /// The request went out on a kept-alive connection the server had already closed: send it again on a fresh one.
    case retry(ChainedRequest)
    /// The next request is claimed but the server did not keep the connection open.
    case moveOn(ChainedRequest)
    /// The server refused the request for now (a rate limit, an overload): send it again after `delay` ns; `response` is
    /// the refusal, handed over instead if the wait is cut short.
    case retryLater(ChainedRequest, delay: UInt64, response: RawResponse)
}

/// The decisions of a chain on one connection, as a value: write the current request, retry it on a fresh connection, hand
/// a response over, claim the next request, keep the connection or leave it. `ChainDriver` feeds it and carries them out.
struct ChainStateMachine {
    /// Where the current request stands.
    enum Phase: Equatable {
        /// Claimed, not written yet (it may wait for its send time).
        case ready
        /// Written; its response is awaited.
        case inFlight
        /// The chain left the connection.
        case exited
    }

    /// What to do when asked to start.
    enum StartAction {
        /// Write it.
        case write(ChainedRequest)
        /// It was cancelled before a byte of it was written: report so and leave (the connection is untouched).
        case cancelledBeforeSending(ChainedRequest)
        /// Already written, or the chain is over.
        case none
    }

    /// What to do with a response.
    enum ResponseAction {
        /// The request never reached the server (a kept-alive connection it had closed): note it, and send it again on a
        /// fresh connection.
        case retryOnFreshConnection(ChainedRequest)
        /// Hand `response` over as the answer to `request`; when `noteKept`, a kept-alive connection served it.
        case deliver(ChainedRequest, RawResponse, noteKept: Bool)
        /// The retry policy sends it again after `delay` ns (`request` counts the attempt), on this connection or another.
        case retryLater(ChainedRequest, delay: UInt64, response: RawResponse)
    }

    /// What to do after a response was handed over.
    enum NextAction {
        /// Leave the connection.
        case exit(ChainExit)
        /// Write the next request on this connection.
        case write(ChainedRequest)
    }

    private(set) var phase = Phase.ready
    private(set) var current: ChainedRequest
    /// Retries the current request has had (each on a fresh connection).
    private(set) var retries: Int
    /// Whether the connection served a request before the current one.
    private var reused: Bool
    private(set) var cancelled = false

    /// When refused requests are sent again; nil: never.
    private let retry: RetryPolicy?

    init(current: ChainedRequest, retries: Int, reused: Bool, retry: RetryPolicy? = nil) {
        self.current = current
        self.retries = retries
        self.reused = reused
        self.retry = retry
    }

    /// The current request is due (or cancelled before it was).
    mutating func start() -> StartAction {
        guard phase == .ready else { return .none }
        if cancelled {
            phase = .exited
            return .cancelledBeforeSending(current)
        }
        phase = .inFlight
        return .write(current)
    }

    /// The chain is cancelled; true when a request is in flight and must be cancelled on the connection (else `start` now
    /// reports the cancellation).
    mutating func cancel() -> Bool {
        guard phase != .exited else { return false }
        cancelled = true
        return phase == .inFlight
    }

    /// The current request's response (or failure) arrived; `jitter` (uniform in [0, 1)) spreads a retry's backoff.
    mutating func responseEnded(_ response: RawResponse, jitter: Double = 0.5) -> ResponseAction {
        var response = response
        response.connectionRetries = retries
        if reused, retries == 0, !cancelled, response.bytesReceived == 0, response.failure?.kind == .reset {
            phase = .exited
            return .retryOnFreshConnection(current)
        }
        response.attempts = current.attempt
        if current.attempt > 1 { response.firstSentNanoseconds = current.firstSentNanoseconds }
        if !cancelled, let delay = retry?.delay(after: response, attempt: current.attempt, jitter: jitter) {
            var again = current
            again.firstSentNanoseconds = current.firstSentNanoseconds ?? response.sentNanoseconds
            again.attempt += 1
            phase = .exited
            return .retryLater(again, delay: delay, response: response)
        }
        return .deliver(current, response, noteKept: reused && response.bytesReceived > 0)
    }

    /// Whether to claim a next request at all (never after a cancel).
    var wantsNext: Bool { !cancelled }

    /// After a response was handed over: go on with `next` on this connection when it is `reusable`, or leave.
    mutating func proceed(next: ChainedRequest?, reusable: Bool) -> NextAction {
        guard let next, !cancelled else {
            phase = .exited
            return .exit(.ended(reusable: reusable))
        }
        guard reusable else {
            phase = .exited
            return .exit(.moveOn(next))
        }
        current = next
        retries = 0
        reused = true
        phase = .inFlight
        return .write(next)
    }

    /// Whether a connect that failed may be tried again: only one that timed out while other connections to the server are
    /// open (an overflowing accept queue, where the kernel dropped the SYN and nothing was sent), twice at most.
    static func retriesConnect(timedOut: Bool, retries: Int, otherConnectionsOpen: Bool, cancelled: Bool) -> Bool {
        timedOut && retries < 2 && otherConnectionsOpen && !cancelled
    }
}
