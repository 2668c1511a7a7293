import Foundation
import TokenMeterCore
import TokenMeterDialects

/// A request-rate limit: a token bucket refilled continuously at `requestsPerMinute / 60` per second, holding at most
/// `burst` requests (PROTOCOLS.md §6: limits are enforced at sub-minute granularity).
public struct RateLimit: Sendable, Equatable {
    /// Requests admitted per minute.
    public var requestsPerMinute: Double
    /// Requests admitted at once from a full bucket.
    public var burst: Double

    /// Creates a limit; the burst defaults to one second's worth (at least one request).
    public init(requestsPerMinute: Double, burst: Double? = nil) {
        self.requestsPerMinute = max(requestsPerMinute, 0.001)
        self.burst = max(1, burst ?? requestsPerMinute / 60)
    }
}

/// The bucket as it drains and fills: a value the engine loop owns.
struct RateLimiter {
    let limit: RateLimit
    private var tokens: Double
    private var last: UInt64?

    init(_ limit: RateLimit) {
        self.limit = limit
        tokens = limit.burst
    }

    /// What the limiter says about a request arriving at `now` (ns): admitted, with what remains, or refused, with the wait.
    mutating func admit(now: UInt64) -> (admitted: Bool, remaining: Int, resetSeconds: Double) {
        let perSecond = limit.requestsPerMinute / 60
        if let last { tokens = min(limit.burst, tokens + Double(now &- last) / 1e9 * perSecond) }
        last = now
        let admitted = tokens >= 1
        if admitted { tokens -= 1 }
        let reset = tokens >= 1 ? 0 : (1 - tokens) / perSecond
        return (admitted, Int(tokens), reset)
    }

    /// The headers of an answer in dialect `api`: OpenAI's `x-ratelimit-*` (reset as a Go duration) or Anthropic's
    /// `anthropic-ratelimit-*`; with `retry` (a refusal) also `retry-after` (whole seconds) and `retry-after-ms`.
    static func headers(limit: RateLimit, remaining: Int, resetSeconds: Double, api: APIKind, retry: Bool) -> [(String, String)] {
        let limitValue = String(Int(limit.requestsPerMinute.rounded()))
        var headers: [(String, String)]
        if api == .anthropic {
            let reset = Date(timeIntervalSinceNow: resetSeconds.rounded(.up))
            headers = [("anthropic-ratelimit-requests-limit", limitValue), ("anthropic-ratelimit-requests-remaining", String(remaining)),
                       ("anthropic-ratelimit-requests-reset", reset.ISO8601Format())]
        } else {
            headers = [("x-ratelimit-limit-requests", limitValue), ("x-ratelimit-remaining-requests", String(remaining)),
                       ("x-ratelimit-reset-requests", "\(Int((resetSeconds * 1000).rounded(.up)))ms")]
        }
        if retry {
            headers.append(("retry-after", String(Int(resetSeconds.rounded(.up)))))
            headers.append(("retry-after-ms", String(Int((resetSeconds * 1000).rounded(.up)))))
        }
        return headers
    }
}
