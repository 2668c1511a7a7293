import NIOHTTP1
import TokenMeterCore

/// One SSE event as it came off the wire: arrival time, socket-read index, raw payload.
public struct RawEvent: Sendable {
    /// Monotonic arrival time of the read that completed the event (ns).
    public var timeNanoseconds: UInt64
    /// Index of the socket read within the response.
    public var readIndex: Int
    /// The event's data payload, undecoded.
    public var data: [UInt8]

    /// Creates an event.
    public init(timeNanoseconds: UInt64, readIndex: Int, data: [UInt8]) {
        self.timeNanoseconds = timeNanoseconds
        self.readIndex = readIndex
        self.data = data
    }
}

/// What one HTTP exchange produced, before any JSON decoding.
public struct RawResponse: Sendable {
    /// When the request bytes were handed to the connection (monotonic ns).
    public var sentNanoseconds: UInt64?
    /// When the response head arrived.
    public var headNanoseconds: UInt64?
    /// When the response ended or failed.
    public var endNanoseconds: UInt64?
    /// HTTP status, once the head arrived.
    public var status: Int?
    /// Response content type.
    public var contentType: String?
    /// SSE events of a streamed response.
    public var events: [RawEvent] = []
    /// The body of a non-streamed (or error) response, capped at `bodyLimit`.
    public var body: [UInt8] = []
    /// Set when the exchange failed at the transport level.
    public var failure: RequestFailure?
    /// Bytes of response received, head included; zero means the connection died before answering.
    public var bytesReceived: Int = 0
    /// Whether the server allows the connection to be reused.
    public var keepAlive: Bool = true
    /// Retries on a fresh connection: after a stale pooled one failed, or after a connect timed out while other
    /// connections to the server were open (an overflowing accept queue).
    public var connectionRetries: Int = 0

    /// Creates an empty response.
    public init() {}
}

/// A request ready to write: built before its scheduled time so sending costs nothing.
public struct PreparedRequest: Sendable {
    /// HTTP method.
    public var method: HTTPMethod
    /// Path and query, e.g. `/v1/completions`.
    public var uri: String
    /// Header fields (secrets included; never logged).
    public var headers: [(String, String)]
    /// JSON body.
    public var body: [UInt8]
    /// True when the response is expected as server-sent events.
    public var expectsEventStream: Bool

    /// Creates a request.
    public init(method: HTTPMethod = .POST, uri: String, headers: [(String, String)], body: [UInt8], expectsEventStream: Bool) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
        self.expectsEventStream = expectsEventStream
    }
}

/// Timeouts of one exchange.
public struct ClientTimeouts: Sendable {
    /// Longest silence allowed between two reads once the request is sent (longer than the worst prefill).
    public var readTimeoutNanoseconds: UInt64
    /// Longest a whole request may take.
    public var totalTimeoutNanoseconds: UInt64
    /// Longest a TCP connect may take.
    public var connectTimeoutNanoseconds: UInt64

    /// Creates timeouts from seconds.
    public init(readSeconds: Double = 300, totalSeconds: Double = 1800, connectSeconds: Double = 10) {
        readTimeoutNanoseconds = UInt64(readSeconds * 1e9)
        totalTimeoutNanoseconds = UInt64(totalSeconds * 1e9)
        connectTimeoutNanoseconds = UInt64(connectSeconds * 1e9)
    }
}

/// One request of a chain (see `StreamingHTTPClient.runChain`), with the caller's tag for it.
public struct ChainedRequest: Sendable {
    /// What to send.
    public var request: PreparedRequest
    /// Sent as `X-Request-Id` when given.
    public var requestID: String?
    /// The caller's name for this request, handed back with its response.
    public var tag: Int

    /// Creates a chained request.
    public init(request: PreparedRequest, requestID: String?, tag: Int) {
        self.request = request
        self.requestID = requestID
        self.tag = tag
    }
}

/// What a chain calls while it runs. Both may be called on an event loop, so both must be quick and must not block.
public struct ChainHooks: Sendable {
    /// Claims the request to send next, or nil to end the chain.
    public var next: @Sendable () -> ChainedRequest?
    /// Receives every response of the chain, in order.
    public var completed: @Sendable (ChainedRequest, RawResponse) -> Void

    /// Creates hooks.
    public init(next: @escaping @Sendable () -> ChainedRequest?, completed: @escaping @Sendable (ChainedRequest, RawResponse) -> Void) {
        self.next = next
        self.completed = completed
    }
}

extension RawResponse {
    /// A request that was cancelled before any byte of it was written.
    static var cancelledBeforeSending: RawResponse {
        var response = RawResponse()
        response.failure = RequestFailure(kind: .cancelled, message: "cancelled before sending")
        return response
    }
}
