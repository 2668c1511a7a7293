import NIOCore
import NIOHTTP1
import TokenMeterCore

/// A request ready to write: built before its scheduled time so sending costs nothing.
public struct PreparedRequest: Sendable {
    /// HTTP method.
    public var method: HTTPMethod
    /// Path and query, e.g. `/v1/completions`.
    public var uri: String
    /// Header fields (secrets included; never logged).
    public var headers: [(String, String)]
    /// The body, in the order written: one buffer, or the parts of a body assembled from pieces kept elsewhere (a
    /// conversation's messages, encoded once and written again on every later turn without being copied).
    public var bodyParts: [ByteBuffer]
    /// True when the response is expected as server-sent events.
    public var expectsEventStream: Bool

    /// Creates a request with a body of these bytes.
    public init(method: HTTPMethod = .POST, uri: String, headers: [(String, String)], body: [UInt8], expectsEventStream: Bool) {
        self.init(method: method, uri: uri, headers: headers, bodyParts: [ByteBuffer(bytes: body)], expectsEventStream: expectsEventStream)
    }

    /// Creates a request whose body is these parts, written in order.
    public init(method: HTTPMethod = .POST, uri: String, headers: [(String, String)], bodyParts: [ByteBuffer], expectsEventStream: Bool) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.bodyParts = bodyParts
        self.expectsEventStream = expectsEventStream
    }

    /// Bytes of the body.
    public var bodyLength: Int { bodyParts.reduce(0) { $0 + $1.readableBytes } }

    /// The body as one array of bytes (for tests and logs; sending writes the parts).
    public var body: [UInt8] { bodyParts.flatMap { Array($0.readableBytesView) } }
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
    /// Which attempt this is (1 first; more when the retry policy sends it again).
    public var attempt = 1
    /// When the first attempt was sent, once it was retried.
    public var firstSentNanoseconds: UInt64?

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
