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

    /// The response head's rate-limit and retry headers (names lower-cased), in the order sent.
    public var rateLimitHeaders: [(String, String)] = []
    /// Times the request was sent, when the retry policy sent it again; 1 otherwise.
    public var attempts: Int = 1
    /// When the first attempt was sent, when there were several.
    public var firstSentNanoseconds: UInt64?

    /// Creates an empty response.
    public init() {}

    /// The value of a recorded header (`name` lower-case).
    public func header(_ name: String) -> String? { rateLimitHeaders.first { $0.0 == name }?.1 }

    /// Whether a response header is one a benchmark records: rate limits, retry hints and the server's request id.
    static func isRecorded(_ name: String) -> Bool {
        let n = name.lowercased()
        return n.hasPrefix("x-ratelimit-") || n.hasPrefix("anthropic-ratelimit-") || n.hasPrefix("anthropic-priority-")
            || n == "retry-after" || n == "retry-after-ms" || n == "x-should-retry"
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
