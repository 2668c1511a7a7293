import TokenMeterCore

/// What one exchange is allowed: its timeouts and how much of a body and of one event it keeps.
struct ExchangeSettings: Sendable {
    var timeouts: ClientTimeouts
    var maxBodyBytes: Int
    var maxEventBytes: Int
}

/// One connection's response, from the request written to the response complete or failed, as a value: the response
/// handler feeds it the channel's events with their arrival times and carries out what it answers. No I/O and no clock.
struct ResponseStateMachine {
    /// Where the exchange stands.
    enum Phase: Equatable {
        /// No request on the connection.
        case idle
        /// The request is written; no response head yet.
        case awaitingHead
        /// A 2xx event stream: events are framed as they arrive.
        case streaming
        /// Any other response: the body is kept (up to the limit).
        case buffering
    }

    /// What the handler does after an event.
    enum Action {
        /// Nothing.
        case none
        /// The exchange is over (complete or failed): hand `response` to the request, then close the connection when `close`.
        case finish(RawResponse, close: Bool)
    }

    private(set) var phase = Phase.idle
    private var response = RawResponse()
    private var framer = SSEFramer()
    private var scratch: [SSEEvent] = []
    private var settings = ExchangeSettings(timeouts: ClientTimeouts(), maxBodyBytes: 0, maxEventBytes: 0)
    private var readIndex = 0
    private var lastActivity: UInt64 = 0
    /// A failure that hit the connection while no request was on it (a TLS handshake refused, say).
    private var idleFailure: RequestFailure?

    /// The response of a request the connection cannot take (closed, or busy), without sending it.
    var refusal: RawResponse {
        var refused = RawResponse()
        refused.failure = idleFailure ?? RequestFailure(kind: .reset, message: "connection closed before the request could be sent")
        return refused
    }

    /// A request was written at `now`.
    mutating func requestSent(settings: ExchangeSettings, now: UInt64) {
        self.settings = settings
        response = RawResponse()
        response.sentNanoseconds = now
        framer = SSEFramer(maxEventBytes: settings.maxEventBytes)
        readIndex = 0
        lastActivity = now
        phase = .awaitingHead
    }

    /// The response head arrived.
    mutating func headReceived(status: Int, keepAlive: Bool, contentType: String?, recorded: [(String, String)] = [], now: UInt64) -> Action {
        guard phase != .idle else { return .none }
        response.rateLimitHeaders = recorded
        lastActivity = now
        response.headNanoseconds = now
        response.status = status
        response.keepAlive = keepAlive
        response.contentType = contentType
        response.bytesReceived += 1
        let eventStream = contentType?.lowercased().contains("text/event-stream") ?? false
        phase = (200..<300).contains(status) && eventStream ? .streaming : .buffering
        return .none
    }

    /// Body bytes arrived in the read at `now`: framed as events, or kept as the body.
    mutating func bodyReceived(_ bytes: UnsafeRawBufferPointer, now: UInt64) -> Action {
        guard phase != .idle else { return .none }
        lastActivity = now
        response.bytesReceived += bytes.count
        if phase == .streaming {
            framer.feed(bytes, into: &scratch)
            if framer.overflowed {
                return fail(RequestFailure(kind: .malformed, message: "an event exceeded \(settings.maxEventBytes) bytes"), now: now, close: true)
            }
            for event in scratch { response.events.append(RawEvent(timeNanoseconds: now, readIndex: readIndex, data: event.data)) }
            scratch.removeAll(keepingCapacity: true)
        } else if response.body.count < settings.maxBodyBytes {
            response.body.append(contentsOf: bytes.prefix(settings.maxBodyBytes - response.body.count))
        }
        return .none
    }

    /// The response ended; the connection closes after it unless the server keeps it alive.
    mutating func endReceived(now: UInt64) -> Action {
        guard phase != .idle else { return .none }
        if phase == .streaming, let last = framer.finish() {
            response.events.append(RawEvent(timeNanoseconds: now, readIndex: readIndex, data: last.data))
        }
        response.endNanoseconds = now
        return finish(close: !response.keepAlive)
    }

    /// A burst of reads ended: later events belong to the next read.
    mutating func readComplete() { readIndex += 1 }

    /// The request is cancelled while in flight (nothing happens on an idle connection).
    mutating func cancel(now: UInt64) -> Action {
        guard phase != .idle else { return .none }
        return fail(RequestFailure(kind: .cancelled, message: "cancelled while in flight"), now: now, close: true)
    }

    /// The watchdog looked at `now`: past the read or the total timeout, the request fails and the connection closes.
    mutating func checkTimeouts(now: UInt64) -> Action {
        guard phase != .idle else { return .none }
        let t = settings.timeouts
        if now - lastActivity > t.readTimeoutNanoseconds {
            return fail(RequestFailure(kind: .timeout, message: "no data for \(Double(t.readTimeoutNanoseconds) / 1e9)s (read timeout); \(progress)"),
                        now: now, close: true)
        }
        if let sent = response.sentNanoseconds, now - sent > t.totalTimeoutNanoseconds {
            let seconds = Double(t.totalTimeoutNanoseconds) / 1e9
            return fail(RequestFailure(kind: .timeout, message: "request exceeded its total timeout of \(seconds)s"), now: now, close: true)
        }
        return .none
    }

    /// What had arrived when a request timed out: a server that never answered reads differently from one that stalled
    /// mid-stream (and a hang in the tests says which side went quiet).
    var progress: String {
        switch phase {
        case .idle: "no request in flight"
        case .awaitingHead: "the request was sent and no response head had arrived"
        case .streaming: "HTTP \(response.status ?? 0) and \(response.events.count) events had arrived"
        case .buffering: "HTTP \(response.status ?? 0) and \(response.body.count) body bytes had arrived"
        }
    }

    /// The connection failed (`failure` says how) and is being closed; while idle the failure is kept for the next request,
    /// which it refuses.
    mutating func failed(_ failure: RequestFailure, now: UInt64) -> Action {
        fail(failure, now: now, close: false)
    }

    /// The connection closed.
    mutating func channelInactive(now: UInt64) -> Action {
        fail(RequestFailure(kind: .reset, message: "connection closed by the server before the response completed"), now: now, close: false)
    }

    private mutating func fail(_ failure: RequestFailure, now: UInt64, close: Bool) -> Action {
        guard phase != .idle else {
            if idleFailure == nil { idleFailure = failure }
            return .none
        }
        response.failure = failure
        response.endNanoseconds = now
        return finish(close: close)
    }

    private mutating func finish(close: Bool) -> Action {
        let done = response
        response = RawResponse()
        phase = .idle
        return .finish(done, close: close)
    }
}
