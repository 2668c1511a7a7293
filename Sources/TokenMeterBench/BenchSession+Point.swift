import Foundation
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterOpenAI
import TokenMeterResults
import TokenMeterTelemetry
import TokenMeterTokenizer
import TokenMeterWorkloads

/// What every point of a session shares.
struct PointContext: Sendable {
    var client: StreamingHTTPClient
    var files: ResultFiles
    var counter: (any TokenCounter)?
    var scraper: MetricsScraper?
    var options: RequestOptions
    var power: PowerCollector?
    var progress: ProgressCounters?
}

extension BenchSession {
    /// Measures one point, appends it to the timeline and returns it with its requests and, when every request failed, why
    /// the sweep stops; nil when the run was cancelled before the point started.
    func measurePoint(index: Int, mode: LoadMode, _ context: PointContext) async throws
        -> (point: PointResult, records: [RequestRecord], stopSweep: String?)?
    {
        let bounds = plan.load.bounds(for: mode)
        let w = plan.workload
        let generator = WorkloadGenerator(source: w.source, inputLength: w.inputLength, outputLength: w.outputLength,
                                          seed: plan.load.seed &+ UInt64(index) &* 7919)
        let planned: [PlannedRequest]
        do {
            planned = try await generator.plan(count: plan.load.planSize(for: bounds, mode: mode), counter: context.counter)
        } catch {
            if Task.isCancelled { return nil }
            throw BenchError(message: "cannot build the workload: \(error)")
        }
        let prepared = planned.map { RequestBuilder.request(prompt: $0.prompt, maxTokens: $0.maxTokens, options: context.options, address: plan.endpoint.address) }
        let before = await context.scraper?.scrape()
        let interval = plan.telemetry.scrapeIntervalSeconds ?? 1
        let polling = context.scraper.map { s in Task { await s.poll(intervalSeconds: interval) } }
        let run = await LoadRunner(client: context.client, streamed: plan.endpoint.stream).run(
            mode: mode, plan: planned, prepared: prepared, bounds: bounds, seed: plan.load.seed &+ UInt64(index), requestIDPrefix: "p\(index)-",
            progress: context.progress)
        polling?.cancel()
        let samples = await polling?.value ?? []
        var point = Self.pointResult(index: index, mode: mode, run: run, gpus: plan.gpus, objective: plan.objective)
        if let power = context.power { await measureEnergy(power, of: &point) }
        if case let .success(start)? = before, case let .success(end)? = await context.scraper?.scrape() {
            point.serverMetrics = ServerMetricsSummary(start: start, end: end, samples: samples, window: run.window, records: run.records)
        }
        let records = countOutputLocally(run.records)
        let tokens = TokenReconciliation(records: records, localPrompts: plan.workload.tokenizer != nil, server: point.serverMetrics)
        point.tokens = tokens
        point.warnings += tokens.warnings
        do {
            try context.files.appendTimeline(
                header: TimelinePointHeader(point: index, label: mode.label, window: run.window, gpus: plan.gpus, slo: plan.objective,
                                            offeredRequestsPerSecond: run.offeredRequestsPerSecond),
                records: records)
        } catch {
            throw BenchError(message: "cannot append to \(context.files.timelineURL.path): \(error.localizedDescription)")
        }
        var stopSweep: String?
        if point.metrics.requestsSucceeded == 0, point.metrics.requestsFailed > 0 {
            let first = run.records.first { !$0.succeeded }?.failure?.message ?? "unknown error"
            stopSweep = "every request of \(mode.label) failed (first error: \(first)); sweep stopped"
        }
        return (point, records, stopSweep)
    }

    /// The GPUs' energy over the point's window, from the power collector.
    func measureEnergy(_ power: PowerCollector, of point: inout PointResult) async {
        // Readings just after the window's end bracket it; wait one interval for them.
        try? await Task.sleep(nanoseconds: UInt64(plan.telemetry.powerIntervalSeconds * 1.5e9))
        let (samples, counters, problems) = power.collected
        let measurement = EnergyMeasurement(samples: samples, counters: counters, window: point.window, expectedGPUs: plan.gpus,
                                            source: power.source.label)
        point.energy = MeasuredEnergy(measurement: measurement, metrics: point.metrics)
        if !measurement.valid {
            point.warnings.append("power measurement not valid: " + (problems + measurement.problems).joined(separator: "; "))
        }
    }

    /// The records with the local tokenizer's count of every delivered output, when there is one.
    func countOutputLocally(_ records: [RequestRecord]) -> [RequestRecord] {
        guard let local = plan.workload.tokenizer?.tokenizer else { return records }
        var counted = records
        for i in counted.indices where counted[i].delivered {
            counted[i].localOutputTokens = local.count(counted[i].joinedOutput, addSpecialTokens: false)
        }
        return counted
    }

    /// Builds a point's result with its metrics and warnings.
    public static func pointResult(index: Int, mode: LoadMode, run: PointRun, gpus: Int, objective: ServiceLevelObjective?) -> PointResult {
        let metrics = PointMetrics.compute(records: run.records, window: run.window, gpus: gpus, objective: objective,
                                           offeredRequestsPerSecond: run.offeredRequestsPerSecond)
        var concurrency: Int?, rate: Double?, arrival: ArrivalProcess?, cap: Int?
        switch mode {
        case let .concurrency(c): concurrency = c
        case let .rate(r, a, _, m): (rate, arrival, cap) = (r, a, m)
        }
        return PointResult(index: index, label: mode.label, concurrency: concurrency, rate: rate, arrival: arrival, maxConcurrency: cap,
                           window: run.window, metrics: metrics, partial: run.partial, stoppedBy: run.stoppedBy, warnings: warnings(metrics))
    }

    /// What the reader of a point's metrics should know.
    static func warnings(_ metrics: PointMetrics) -> [String] {
        var warnings: [String] = []
        if metrics.shortOutputRequests > 0 {
            warnings.append("\(metrics.shortOutputRequests) requests got fewer output tokens than max_tokens asked for "
                + "(the server ignored ignore_eos/min_tokens, or hit a length limit)")
        }
        if metrics.requestsWithoutUsage > 0 {
            warnings.append("\(metrics.requestsWithoutUsage) requests had no usage from the server; their output tokens were counted as events")
        }
        if let lag = metrics.queueMs, lag.p99 > 5 {
            warnings.append("schedule lag p99 \(lag.p99.formatted(decimals: 1)) ms: the client did not keep up with the schedule")
        }
        if metrics.requestsFailed > 0 {
            let summary = metrics.errorsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            warnings.append("\(metrics.requestsFailed) requests failed (\(summary))")
        }
        return warnings
    }
}
