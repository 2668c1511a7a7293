/// The measurement window of a sweep point: throughput counts what was delivered inside it.
public struct MeasurementWindow: Codable, Sendable, Equatable {
    /// Window start (monotonic ns).
    public var startNanoseconds: UInt64
    /// Window end (monotonic ns).
    public var endNanoseconds: UInt64

    /// Creates a window; end before start is clamped to an empty window.
    public init(startNanoseconds: UInt64, endNanoseconds: UInt64) {
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = max(startNanoseconds, endNanoseconds)
    }

    /// Window length in seconds.
    public var seconds: Double { Double(endNanoseconds - startNanoseconds) / 1e9 }

    /// True when `t` lies inside the window (both ends included).
    public func contains(_ t: UInt64) -> Bool { t >= startNanoseconds && t <= endNanoseconds }

    enum CodingKeys: String, CodingKey { case startNanoseconds = "start_ns", endNanoseconds = "end_ns" }
}

/// Goodput under a service-level objective.
public struct Goodput: Codable, Sendable, Equatable {
    /// The objective applied.
    public var objective: ServiceLevelObjective
    /// Measured requests that met every bound.
    public var goodRequests: Int
    /// Good requests per second of window.
    public var requestsPerSecond: Double
    /// Output tokens of good requests per second of window.
    public var goodOutputTokensPerSecond: Double
    /// Whether every bound held at its percentile across the point's requests.
    public var passed: Bool
    /// Each bound that failed, in words.
    public var violations: [String]

    enum CodingKeys: String, CodingKey {
        case objective, goodRequests = "good_requests", requestsPerSecond = "requests_per_s"
        case goodOutputTokensPerSecond = "good_output_tokens_per_s", passed, violations
    }
}

/// Every metric of one sweep point, computed from its request timelines as DESIGN.md defines them.
public struct PointMetrics: Codable, Sendable, Equatable {
    /// Requests in the point (warm-up included).
    public var requestsTotal: Int
    /// Measured (non-warm-up) requests.
    public var requestsMeasured: Int
    /// Measured requests that completed without error.
    public var requestsSucceeded: Int
    /// Measured requests that failed, all classes together.
    public var requestsFailed: Int
    /// Failed measured requests per error class.
    public var errorsByKind: [String: Int]
    /// Window length in seconds.
    public var windowSeconds: Double
    /// Client-side schedule lag `t_send − t_sched`, ms.
    public var queueMs: Distribution?
    /// Time to first token, ms.
    public var ttftMs: Distribution?
    /// Time to first visible (non-reasoning) token, ms.
    public var ttfoMs: Distribution?
    /// End-to-end latency, ms.
    public var e2eMs: Distribution?
    /// Time per output token after the first, ms.
    public var tpotMs: Distribution?
    /// Pooled gaps between consecutive token-bearing events, ms.
    public var chunkGapMs: Distribution?
    /// Chunk gaps divided by the tokens each event carried, ms.
    public var itlMs: Distribution?
    /// Median interactivity, tok/s/user (1000 / p50 TPOT).
    public var interactivityMedian: Double?
    /// Slow-tail interactivity, tok/s/user (1000 / p90 TPOT).
    public var interactivitySlowTail: Double?
    /// Output tokens delivered inside the window per second.
    public var outputTokensPerSecond: Double
    /// Input tokens (attributed at first token) inside the window per second.
    public var inputTokensPerSecond: Double
    /// Input plus output tokens per second.
    public var totalTokensPerSecond: Double
    /// GPUs the throughput is divided by for the per-GPU figures.
    public var gpus: Int
    /// Completed measured requests per second of window.
    public var requestsPerSecond: Double
    /// Mean number of requests in flight during the window.
    public var meanConcurrency: Double
    /// Rate the schedule offered (open loop), requests/s.
    public var offeredRequestsPerSecond: Double?
    /// Rate requests were actually sent, requests/s.
    public var achievedSendRequestsPerSecond: Double?
    /// Mean input tokens per measured request (realised, not nominal).
    public var meanInputTokens: Double
    /// Mean output tokens per succeeded measured request (realised).
    public var meanOutputTokens: Double
    /// Mean `max_tokens` asked for.
    public var meanRequestedOutputTokens: Double
    /// Succeeded requests that delivered fewer tokens than asked for.
    public var shortOutputRequests: Int
    /// Succeeded requests whose output count came from counting events, not from server usage.
    public var requestsWithoutUsage: Int
    /// Fraction of events that arrived in the same socket read as the previous one.
    public var coalescedEventFraction: Double
    /// Output tokens streamed to requests that the server or transport then failed (paid for, not delivered).
    public var failedRequestOutputTokens: Int
    /// Goodput under the objective, when one was given.
    public var goodput: Goodput?
    /// Prompt tokens the server reported as served from its prefix cache (succeeded measured requests).
    public var cachedPromptTokens: Int?
    /// Prompt tokens of succeeded measured requests, the denominator of the cached share.
    public var promptTokensSucceeded: Int?
    /// Reasoning tokens the server reported among the output (succeeded measured requests).
    public var reasoningTokens: Int?
    /// Output tokens of succeeded measured requests, the denominator of the reasoning share.
    public var outputTokensSucceeded: Int?
    /// Prompt tokens the server reported as written to its cache (succeeded measured requests), where it reported any.
    public var cacheWriteTokens: Int?
    /// Measured requests the retry policy sent more than once, when there were any.
    public var retriedRequests: Int?
    /// Attempts of the measured requests beyond their first, when there were any.
    public var retryAttempts: Int?
    /// Requests whose usage claimed more output than their stream could carry (each counted at what arrived), when any did.
    public var usageExceedsStreamRequests: Int?
    /// Output tokens those requests' usage billed beyond what arrived.
    public var billedNotDeliveredTokens: Int?
    /// Requests whose usage claimed less output than their stream carried (each counted at what arrived), when any did.
    public var usageBelowStreamRequests: Int?
    /// Output tokens those requests delivered beyond what their usage billed.
    public var deliveredNotBilledTokens: Int?
    /// TTFT counted from each request's first send (it differs from `ttftMs` for retried requests only), when any was retried.
    public var ttftFromFirstSendMs: Distribution?
    /// Output tok/s in each of `PointMetrics.sliceCount` equal slices of the window (window-to-window variation).
    public var outputTokensPerSecondSlices: [Double]?
    /// Total tok/s in each slice.
    public var totalTokensPerSecondSlices: [Double]?

    /// Slices a window is cut into for its variation.
    public static let sliceCount = 5

    enum CodingKeys: String, CodingKey {
        case requestsTotal = "requests_total", requestsMeasured = "requests_measured"
        case requestsSucceeded = "requests_succeeded", requestsFailed = "requests_failed"
        case errorsByKind = "errors_by_kind", windowSeconds = "window_s"
        case queueMs = "queue_ms", ttftMs = "ttft_ms", ttfoMs = "ttfo_ms", e2eMs = "e2e_ms", tpotMs = "tpot_ms"
        case chunkGapMs = "chunk_gap_ms", itlMs = "itl_ms"
        case interactivityMedian = "interactivity_p50_tok_s_user", interactivitySlowTail = "interactivity_p90_tok_s_user"
        case outputTokensPerSecond = "output_tok_s", inputTokensPerSecond = "input_tok_s"
        case totalTokensPerSecond = "total_tok_s", gpus, requestsPerSecond = "request_rate_per_s"
        case meanConcurrency = "mean_concurrency"
        case offeredRequestsPerSecond = "offered_rate_per_s", achievedSendRequestsPerSecond = "achieved_send_rate_per_s"
        case meanInputTokens = "mean_input_tokens", meanOutputTokens = "mean_output_tokens"
        case meanRequestedOutputTokens = "mean_requested_output_tokens", shortOutputRequests = "short_output_requests"
        case requestsWithoutUsage = "requests_without_usage", coalescedEventFraction = "coalesced_event_fraction"
        case failedRequestOutputTokens = "failed_request_output_tokens", goodput
        case outputTokensPerSecondSlices = "output_tok_s_slices", totalTokensPerSecondSlices = "total_tok_s_slices"
        case cachedPromptTokens = "cached_prompt_tokens", promptTokensSucceeded = "prompt_tokens_succeeded"
        case cacheWriteTokens = "cache_write_tokens", retriedRequests = "retried_requests", retryAttempts = "retry_attempts"
        case ttftFromFirstSendMs = "ttft_from_first_send_ms", usageExceedsStreamRequests = "usage_exceeds_stream_requests"
        case billedNotDeliveredTokens = "billed_not_delivered_tokens"
        case usageBelowStreamRequests = "usage_below_stream_requests", deliveredNotBilledTokens = "delivered_not_billed_tokens"
        case reasoningTokens = "reasoning_tokens", outputTokensSucceeded = "output_tokens_succeeded"
    }

    /// Output tokens per second per GPU.
    public var outputTokensPerSecondPerGPU: Double { outputTokensPerSecond / Double(max(gpus, 1)) }
    /// Total tokens per second per GPU.
    public var totalTokensPerSecondPerGPU: Double { totalTokensPerSecond / Double(max(gpus, 1)) }
}

/// Per-request latency values, computed once from a record.
public struct RequestLatency: Sendable, Equatable {
    /// TTFT in ms.
    public var ttftMs: Double
    /// TTFO in ms, nil when no visible content came.
    public var ttfoMs: Double?
    /// E2E in ms.
    public var e2eMs: Double
    /// TPOT in ms, nil below two output tokens.
    public var tpotMs: Double?
    /// Gaps between consecutive token-bearing events, ms.
    public var chunkGapsMs: [Double]
    /// Each gap divided by the tokens the later event carried, ms.
    public var itlMs: [Double]

    /// TTFT from the first attempt's send, ms, when the request was retried (`ttftMs` counts from the last attempt's).
    public var ttftFromFirstSendMs: Double?

    /// Computes latencies of a succeeded request with at least one token event (or a whole answer without tokens, such as an
    /// embedding, whose TTFT and E2E are its latency); nil otherwise.
    public init?(_ record: RequestRecord) {
        guard record.succeeded, let sent = record.sentNanoseconds else { return nil }
        let tokenEvents = record.tokenEvents
        func ms(_ t: UInt64) -> Double { Double(Int64(bitPattern: t &- sent)) / 1e6 }
        guard let first = tokenEvents.first, let last = tokenEvents.last else {
            guard !record.streamed, let done = record.completedNanoseconds else { return nil }
            ttftMs = ms(done)
            e2eMs = ttftMs
            ttftFromFirstSendMs = record.firstSentNanoseconds.map { Double(Int64(bitPattern: done &- $0)) / 1e6 }
            chunkGapsMs = []
            itlMs = []
            return
        }
        ttftMs = ms(first.timeNanoseconds)
        ttfoMs = record.events.first(where: \.isAnswer).map { ms($0.timeNanoseconds) }
        e2eMs = ms(last.timeNanoseconds)
        ttftFromFirstSendMs = record.firstSentNanoseconds.map { Double(Int64(bitPattern: first.timeNanoseconds &- $0)) / 1e6 }
        let output = record.outputTokens
        tpotMs = record.streamed && output >= 2 ? (e2eMs - ttftMs) / Double(output - 1) : nil
        let perEvent = TokenAttribution.tokensPerEvent(record)
        var gaps: [Double] = []
        var itl: [Double] = []
        gaps.reserveCapacity(tokenEvents.count)
        for i in 1..<max(tokenEvents.count, 1) {
            let gap = Double(tokenEvents[i].timeNanoseconds - tokenEvents[i - 1].timeNanoseconds) / 1e6
            gaps.append(gap)
            let tokens = perEvent[i]
            if tokens > 0 { itl.append(gap / tokens) }
        }
        chunkGapsMs = gaps
        itlMs = itl
    }

    /// The value an objective bounds.
    public func value(of metric: SLOMetric) -> Double? {
        switch metric {
        case .ttft: ttftMs
        case .tpot: tpotMs
        case .e2e: e2eMs
        }
    }
}

extension PointMetrics {
    /// Computes every metric of a point from its records over a window.
    public static func compute(
        records: [RequestRecord], window: MeasurementWindow, gpus: Int = 1,
        objective: ServiceLevelObjective? = nil, offeredRequestsPerSecond: Double? = nil
    ) -> PointMetrics {
        var accumulator = PointMetricsAccumulator(window: window, objective: objective)
        for record in records { accumulator.add(record) }
        return accumulator.metrics(gpus: gpus, offeredRequestsPerSecond: offeredRequestsPerSecond)
    }

    static func goodput(
        _ objective: ServiceLevelObjective, goodRequests: Int, goodTokens: Int, metrics: PointMetrics, rate: (Double) -> Double
    ) -> Goodput {
        var violations: [String] = []
        for bound in objective.bounds {
            let distribution: Distribution? = switch bound.metric {
            case .ttft: metrics.ttftMs
            case .tpot: metrics.tpotMs
            case .e2e: metrics.e2eMs
            }
            guard let observed = distribution?.value(atPercentile: bound.percentile) else {
                violations.append("\(bound.metric.rawValue)_p\(bound.percentile): no data")
                continue
            }
            if observed > bound.limitMilliseconds {
                let shown = (observed * 10).rounded() / 10
                violations.append(
                    "\(bound.metric.rawValue)_p\(bound.percentile) \(shown)ms > \(DurationText.format(milliseconds: bound.limitMilliseconds))")
            }
        }
        return Goodput(
            objective: objective, goodRequests: goodRequests, requestsPerSecond: rate(Double(goodRequests)),
            goodOutputTokensPerSecond: rate(Double(goodTokens)), passed: violations.isEmpty, violations: violations)
    }
}
