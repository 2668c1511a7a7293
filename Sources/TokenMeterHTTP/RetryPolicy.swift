import TokenMeterCore

/// When a request answered with a rate limit, an overload or a server error is sent again, and after how long: the
/// server's `retry-after-ms` or `retry-after` when it gave one and it is within `maxWaitSeconds`, else an exponential
/// backoff (`baseSeconds` × 2ⁿ, at most `maxBackoffSeconds`, times a jitter in [0.75, 1]) — the rule of the OpenAI and
/// Anthropic SDKs (PROTOCOLS.md §4.5). `x-should-retry` overrides the status. Opt-in: a benchmark that retries measures a
/// different thing than one that counts the refusals.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt, at most.
    public var maxRetries: Int
    /// First backoff, seconds.
    public var baseSeconds: Double
    /// Longest backoff, seconds.
    public var maxBackoffSeconds: Double
    /// Longest server-directed wait honoured; a longer `Retry-After` is not waited for (the request fails as answered).
    public var maxWaitSeconds: Double
    /// HTTP statuses retried.
    public var statuses: Set<Int>

    /// Statuses the SDKs retry: request timeout, conflict, rate limited, and server errors including 529.
    public static let retriedStatuses: Set<Int> = [408, 409, 429, 500, 502, 503, 504, 529]

    /// Creates a policy.
    public init(maxRetries: Int, baseSeconds: Double = 0.5, maxBackoffSeconds: Double = 8, maxWaitSeconds: Double = 60,
                statuses: Set<Int> = retriedStatuses) {
        self.maxRetries = max(0, maxRetries)
        self.baseSeconds = baseSeconds
        self.maxBackoffSeconds = maxBackoffSeconds
        self.maxWaitSeconds = maxWaitSeconds
        self.statuses = statuses
    }

    /// The wait before attempt `attempt + 1` after `response` (the answer to attempt `attempt`, 1 first), in ns; nil when
    /// it is not retried. `jitter` is a uniform number in [0, 1).
    public func delay(after response: RawResponse, attempt: Int, jitter: Double) -> UInt64? {
        guard attempt <= maxRetries, response.failure == nil, let status = response.status, !(200..<300).contains(status) else { return nil }
        switch response.header("x-should-retry")?.lowercased() {
        case "false": return nil
        case "true": break
        default: guard statuses.contains(status) else { return nil }
        }
        if let seconds = Self.serverWait(response) {
            guard seconds <= maxWaitSeconds else { return nil }
            return UInt64(max(0, seconds) * 1e9)
        }
        let backoff = min(maxBackoffSeconds, baseSeconds * Double(1 << min(attempt - 1, 30)))
        return UInt64(backoff * (1 - 0.25 * jitter) * 1e9)
    }

    /// The wait the server asked for, in seconds: `retry-after-ms`, else `retry-after` in seconds (an HTTP date is not read).
    public static func serverWait(_ response: RawResponse) -> Double? {
        if let ms = response.header("retry-after-ms").flatMap({ Double($0.trimmingWhitespace) }), ms >= 0 { return ms / 1000 }
        if let s = response.header("retry-after").flatMap({ Double($0.trimmingWhitespace) }), s >= 0 { return s }
        return nil
    }
}
