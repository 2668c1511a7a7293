/// A point's metrics gathered one record at a time: what `PointMetrics.compute` does over an array, for a merge that streams
/// a million records from several files and keeps only the metric state (the latency values percentiles need, and sums),
/// never the records. Accumulators over parts of the records combine (`absorb`) into the one over all of them.
public struct PointMetricsAccumulator: Sendable {
    let window: MeasurementWindow
    let objective: ServiceLevelObjective?
    var requestsTotal = 0
    var measured = 0
    var succeeded = 0
    var failed = 0
    var errorsByKind: [String: Int] = [:]
    var queue: [Double] = []
    var ttft: [Double] = []
    var ttfo: [Double] = []
    var e2e: [Double] = []
    var tpot: [Double] = []
    var chunkGaps: [Double] = []
    var itl: [Double] = []
    var ttftFromFirstSend: [Double] = []
    var delivered: WindowTokens
    var totals = SucceededTokens()
    var completedInWindow = 0
    var sends = 0
    var firstSend = UInt64.max
    var lastSend: UInt64 = 0
    var inputTokensMeasured = 0.0
    var outputTokensSucceeded = 0.0
    var requestedOutputTokens = 0.0
    var shortOutput = 0
    var withoutUsage = 0
    var events = 0
    var coalesced = 0
    var failedOutputTokens = 0
    var lying = 0, billedNotDelivered = 0
    var understated = 0, deliveredNotBilled = 0
    var retried = 0, retryAttempts = 0
    var goodRequests = 0, goodTokens = 0

    /// An empty accumulator for a point measured over `window`, with the objective its goodput is judged by.
    public init(window: MeasurementWindow, objective: ServiceLevelObjective? = nil) {
        self.window = window
        self.objective = objective
        delivered = WindowTokens(window: window)
    }

    /// Counts one record (of any phase: warm-up requests count in the window's delivered tokens, as in `compute`).
    public mutating func add(_ record: RequestRecord) {
        requestsTotal += 1
        delivered.add(record)
        var previousRead = -1
        for event in record.events {
            events += 1
            if event.readIndex == previousRead { coalesced += 1 }
            previousRead = event.readIndex
        }
        guard record.phase == .measured else { return }
        addMeasured(record)
        guard record.succeeded else {
            failed += 1
            errorsByKind[(record.failure?.kind ?? .cancelled).rawValue, default: 0] += 1
            if !record.delivered { failedOutputTokens += record.outputTokens }
            return
        }
        succeeded += 1
        totals.add(record)
        if window.contains(record.completedNanoseconds ?? 0) { completedInWindow += 1 }
        outputTokensSucceeded += Double(record.outputTokens)
        if record.outputTokens < record.maxTokens { shortOutput += 1 }
        if record.usage == nil { withoutUsage += 1 }
        guard let latency = RequestLatency(record) else { return }
        addLatency(latency, of: record)
    }

    mutating func addMeasured(_ record: RequestRecord) {
        measured += 1
        if let sent = record.sentNanoseconds {
            queue.append(Double(Int64(bitPattern: sent &- record.scheduledNanoseconds)) / 1e6)
            sends += 1
            firstSend = min(firstSend, sent)
            lastSend = max(lastSend, sent)
        }
        inputTokensMeasured += Double(record.inputTokens)
        requestedOutputTokens += Double(record.maxTokens)
        if record.usageExceedsStream {
            lying += 1
            billedNotDelivered += record.billedNotDeliveredTokens
        }
        if record.usageBelowStream {
            understated += 1
            deliveredNotBilled += record.deliveredNotBilledTokens
        }
        if record.attemptCount > 1 {
            retried += 1
            retryAttempts += record.attemptCount - 1
        }
    }

    mutating func addLatency(_ latency: RequestLatency, of record: RequestRecord) {
        ttft.append(latency.ttftMs)
        if let v = latency.ttfoMs { ttfo.append(v) }
        e2e.append(latency.e2eMs)
        if let v = latency.tpotMs { tpot.append(v) }
        chunkGaps.append(contentsOf: latency.chunkGapsMs)
        itl.append(contentsOf: latency.itlMs)
        ttftFromFirstSend.append(latency.ttftFromFirstSendMs ?? latency.ttftMs)
        guard let objective, window.contains(record.completedNanoseconds ?? 0) else { return }
        let meets = objective.bounds.allSatisfy { bound in
            guard let v = latency.value(of: bound.metric) else { return bound.metric == .tpot }
            return v <= bound.limitMilliseconds
        }
        if meets {
            goodRequests += 1
            goodTokens += record.outputTokens
        }
    }
}

extension PointMetricsAccumulator {
    /// Adds what another accumulator over the same window gathered (its records are then counted as if added here); takes
    /// it over, so that its values are not held twice.
    public mutating func absorb(_ other: consuming PointMetricsAccumulator) {
        requestsTotal += other.requestsTotal
        measured += other.measured
        succeeded += other.succeeded
        failed += other.failed
        errorsByKind.merge(other.errorsByKind, uniquingKeysWith: +)
        queue += other.queue
        ttft += other.ttft
        ttfo += other.ttfo
        e2e += other.e2e
        tpot += other.tpot
        chunkGaps += other.chunkGaps
        itl += other.itl
        ttftFromFirstSend += other.ttftFromFirstSend
        delivered.absorb(other.delivered)
        totals.absorb(other.totals)
        completedInWindow += other.completedInWindow
        sends += other.sends
        firstSend = min(firstSend, other.firstSend)
        lastSend = max(lastSend, other.lastSend)
        inputTokensMeasured += other.inputTokensMeasured
        outputTokensSucceeded += other.outputTokensSucceeded
        requestedOutputTokens += other.requestedOutputTokens
        shortOutput += other.shortOutput
        withoutUsage += other.withoutUsage
        events += other.events
        coalesced += other.coalesced
        failedOutputTokens += other.failedOutputTokens
        lying += other.lying
        billedNotDelivered += other.billedNotDelivered
        understated += other.understated
        deliveredNotBilled += other.deliveredNotBilled
        retried += other.retried
        retryAttempts += other.retryAttempts
        goodRequests += other.goodRequests
        goodTokens += other.goodTokens
    }

    /// The point's metrics over every record added (the latency values are sorted in place, not copied: a merge of a million
    /// records holds tens of millions of them).
    public mutating func metrics(gpus: Int = 1, offeredRequestsPerSecond: Double? = nil) -> PointMetrics {
        let windowSeconds = window.seconds
        func rate(_ x: Double) -> Double { windowSeconds > 0 ? x / windowSeconds : 0 }
        func mean(_ sum: Double, _ count: Int) -> Double { count == 0 ? 0 : sum / Double(count) }
        let tpotDistribution = Distribution(sorting: &tpot)
        var metrics = PointMetrics(
            requestsTotal: requestsTotal, requestsMeasured: measured, requestsSucceeded: succeeded, requestsFailed: failed,
            errorsByKind: errorsByKind, windowSeconds: windowSeconds,
            queueMs: Distribution(sorting: &queue), ttftMs: Distribution(sorting: &ttft), ttfoMs: Distribution(sorting: &ttfo), e2eMs: Distribution(sorting: &e2e),
            tpotMs: tpotDistribution, chunkGapMs: Distribution(sorting: &chunkGaps), itlMs: Distribution(sorting: &itl),
            interactivityMedian: tpotDistribution.flatMap { $0.p50 > 0 ? 1000 / $0.p50 : nil },
            interactivitySlowTail: tpotDistribution.flatMap { $0.p90 > 0 ? 1000 / $0.p90 : nil },
            outputTokensPerSecond: rate(delivered.output), inputTokensPerSecond: rate(delivered.input),
            totalTokensPerSecond: rate(delivered.output + delivered.input), gpus: max(gpus, 1),
            requestsPerSecond: rate(Double(completedInWindow)),
            meanConcurrency: windowSeconds > 0 ? delivered.busyNanoseconds / (windowSeconds * 1e9) : 0,
            offeredRequestsPerSecond: offeredRequestsPerSecond,
            achievedSendRequestsPerSecond: sends >= 2 && lastSend > firstSend ? Double(sends - 1) / (Double(lastSend - firstSend) / 1e9) : nil,
            meanInputTokens: mean(inputTokensMeasured, measured), meanOutputTokens: mean(outputTokensSucceeded, succeeded),
            meanRequestedOutputTokens: mean(requestedOutputTokens, measured),
            shortOutputRequests: shortOutput, requestsWithoutUsage: withoutUsage,
            coalescedEventFraction: events > 0 ? Double(coalesced) / Double(events) : 0,
            failedRequestOutputTokens: failedOutputTokens, goodput: nil,
            cachedPromptTokens: totals.cached, promptTokensSucceeded: totals.prompt, reasoningTokens: totals.reasoning,
            outputTokensSucceeded: totals.output, cacheWriteTokens: totals.cacheWrite,
            outputTokensPerSecondSlices: delivered.outputSliceRates(windowSeconds: windowSeconds),
            totalTokensPerSecondSlices: delivered.totalSliceRates(windowSeconds: windowSeconds))
        if lying > 0 {
            metrics.usageExceedsStreamRequests = lying
            metrics.billedNotDeliveredTokens = billedNotDelivered
        }
        if understated > 0 {
            metrics.usageBelowStreamRequests = understated
            metrics.deliveredNotBilledTokens = deliveredNotBilled
        }
        if retried > 0 {
            metrics.retriedRequests = retried
            metrics.retryAttempts = retryAttempts
            metrics.ttftFromFirstSendMs = Distribution(sorting: &ttftFromFirstSend)
        }
        metrics.goodput = objective.map { PointMetrics.goodput($0, goodRequests: goodRequests, goodTokens: goodTokens, metrics: metrics, rate: rate) }
        return metrics
    }
}
