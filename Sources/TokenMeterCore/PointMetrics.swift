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
        let measured = records.filter { $0.phase == .measured }
        let succeeded = measured.filter(\.succeeded)
        let failed = measured.filter { !$0.succeeded }
        let timed = succeeded.compactMap { r in RequestLatency(r).map { (record: r, latency: $0) } }
        let latencies = timed.map(\.latency)
        let windowSeconds = window.seconds
        func rate(_ x: Double) -> Double { windowSeconds > 0 ? x / windowSeconds : 0 }
        let delivered = WindowTokens(records: records, window: window)
        let totals = SucceededTokens(succeeded)
        let tpot = Distribution(latencies.compactMap(\.tpotMs))
        var metrics = PointMetrics(
            requestsTotal: records.count,
            requestsMeasured: measured.count,
            requestsSucceeded: succeeded.count,
            requestsFailed: failed.count,
            errorsByKind: Dictionary(failed.map { ($0.failure?.kind ?? .cancelled).rawValue }.map { ($0, 1) }, uniquingKeysWith: +),
            windowSeconds: windowSeconds,
            queueMs: Distribution(measured.compactMap { r -> Double? in
                r.sentNanoseconds.map { Double(Int64(bitPattern: $0 &- r.scheduledNanoseconds)) / 1e6 }
            }),
            ttftMs: Distribution(latencies.map(\.ttftMs)),
            ttfoMs: Distribution(latencies.compactMap(\.ttfoMs)),
            e2eMs: Distribution(latencies.map(\.e2eMs)),
            tpotMs: tpot,
            chunkGapMs: Distribution(latencies.flatMap(\.chunkGapsMs)),
            itlMs: Distribution(latencies.flatMap(\.itlMs)),
            interactivityMedian: tpot.flatMap { $0.p50 > 0 ? 1000 / $0.p50 : nil },
            interactivitySlowTail: tpot.flatMap { $0.p90 > 0 ? 1000 / $0.p90 : nil },
            outputTokensPerSecond: rate(delivered.output),
            inputTokensPerSecond: rate(delivered.input),
            totalTokensPerSecond: rate(delivered.output + delivered.input),
            gpus: max(gpus, 1),
            requestsPerSecond: rate(Double(succeeded.filter { window.contains($0.completedNanoseconds ?? 0) }.count)),
            meanConcurrency: windowSeconds > 0 ? delivered.busyNanoseconds / (windowSeconds * 1e9) : 0,
            offeredRequestsPerSecond: offeredRequestsPerSecond,
            achievedSendRequestsPerSecond: achievedSendRate(measured),
            meanInputTokens: mean(measured.map { Double($0.inputTokens) }),
            meanOutputTokens: mean(succeeded.map { Double($0.outputTokens) }),
            meanRequestedOutputTokens: mean(measured.map { Double($0.maxTokens) }),
            shortOutputRequests: succeeded.filter { $0.outputTokens < $0.maxTokens }.count,
            requestsWithoutUsage: succeeded.filter { $0.usage == nil }.count,
            coalescedEventFraction: coalescedFraction(records),
            failedRequestOutputTokens: failed.filter { !$0.delivered }.reduce(0) { $0 + $1.outputTokens },
            goodput: nil,
            cachedPromptTokens: totals.cached,
            promptTokensSucceeded: totals.prompt,
            reasoningTokens: totals.reasoning,
            outputTokensSucceeded: totals.output, cacheWriteTokens: totals.cacheWrite,
            outputTokensPerSecondSlices: delivered.outputSliceRates(windowSeconds: windowSeconds),
            totalTokensPerSecondSlices: delivered.totalSliceRates(windowSeconds: windowSeconds)
        )
        metrics.countUsageAndRetries(measured, latencies: latencies)
        let timedInWindow = timed.filter { window.contains($0.record.completedNanoseconds ?? 0) }
        metrics.goodput = objective.map { goodput($0, timedInWindow: timedInWindow, metrics: metrics, rate: rate) }
        return metrics
    }

    /// The requests whose usage claimed more, or less, than their stream carried, and the retried requests with their extra
    /// attempts and the TTFT from each request's first send.
    mutating func countUsageAndRetries(_ measured: [RequestRecord], latencies: [RequestLatency]) {
        let lying = measured.filter(\.usageExceedsStream)
        if !lying.isEmpty {
            usageExceedsStreamRequests = lying.count
            billedNotDeliveredTokens = lying.reduce(0) { $0 + $1.billedNotDeliveredTokens }
        }
        let understated = measured.filter(\.usageBelowStream)
        if !understated.isEmpty {
            usageBelowStreamRequests = understated.count
            deliveredNotBilledTokens = understated.reduce(0) { $0 + $1.deliveredNotBilledTokens }
        }
        let retried = measured.filter { $0.attemptCount > 1 }
        guard !retried.isEmpty else { return }
        retriedRequests = retried.count
        retryAttempts = retried.reduce(0) { $0 + $1.attemptCount - 1 }
        ttftFromFirstSendMs = Distribution(latencies.map { $0.ttftFromFirstSendMs ?? $0.ttftMs })
    }

    /// Send rate actually achieved: measured requests sent per second between the first and the last send.
    static func achievedSendRate(_ measured: [RequestRecord]) -> Double? {
        let sendTimes = measured.compactMap(\.sentNanoseconds).sorted()
        guard sendTimes.count >= 2, let first = sendTimes.first, let last = sendTimes.last, last > first else { return nil }
        return Double(sendTimes.count - 1) / (Double(last - first) / 1e9)
    }

    /// Share of events that arrived in the same read as the event before them (the transport coalesced them).
    static func coalescedFraction(_ records: [RequestRecord]) -> Double {
        var events = 0
        var coalesced = 0
        for record in records {
            var previousRead = -1
            for event in record.events {
                events += 1
                if event.readIndex == previousRead { coalesced += 1 }
                previousRead = event.readIndex
            }
        }
        return events > 0 ? Double(coalesced) / Double(events) : 0
    }

    private static func goodput(
        _ objective: ServiceLevelObjective, timedInWindow: [(record: RequestRecord, latency: RequestLatency)], metrics: PointMetrics,
        rate: (Double) -> Double
    ) -> Goodput {
        var goodRequests = 0
        var goodTokens = 0
        for (record, latency) in timedInWindow {
            let meets = objective.bounds.allSatisfy { bound in
                guard let v = latency.value(of: bound.metric) else { return bound.metric == .tpot }
                return v <= bound.limitMilliseconds
            }
            if meets {
                goodRequests += 1
                goodTokens += record.outputTokens
            }
        }
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

    private static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}
