/// The class of a failed request; every failure lands in exactly one.
public enum ErrorKind: String, Codable, Sendable, CaseIterable, Comparable {
    /// The TCP connection could not be opened.
    case connect
    /// The server answered with a non-2xx status other than the two below.
    case httpStatus = "http_status"
    /// The server refused the request for the client's rate or quota: HTTP 429, or a dialect's rate-limit error.
    case rateLimited = "rate_limited"
    /// The server said it is overloaded: HTTP 529, 503 with `Retry-After`, or a dialect's overload error (in a stream too).
    case overloaded
    /// No byte arrived within the read timeout, or the request exceeded its total timeout.
    case timeout
    /// The connection was closed or reset before the response completed.
    case reset
    /// The stream did not parse as server-sent events or as the expected JSON.
    case malformed
    /// The server sent an error object inside a 2xx stream (other than a rate limit or an overload).
    case serverError = "server_error"
    /// The run was interrupted or drained with the request in flight.
    case cancelled

    public static func < (lhs: ErrorKind, rhs: ErrorKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Why a request failed, as recorded; messages never carry credentials.
public struct RequestFailure: Error, Codable, Sendable, Equatable {
    /// Class of the failure.
    public var kind: ErrorKind
    /// Human-readable detail.
    public var message: String
    /// HTTP status when the server sent one.
    public var httpStatus: Int?

    /// Creates a failure record.
    public init(kind: ErrorKind, message: String, httpStatus: Int? = nil) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
    }

    enum CodingKeys: String, CodingKey { case kind, message, httpStatus = "http_status" }
}
