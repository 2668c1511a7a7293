import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterHTTP
import TokenMeterDialects
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
    /// The words synthetic prompts are made of (narrowed to one-token words of the local tokenizer, when there is one).
    var text: SyntheticText
    /// True when synthetic prompts' token counts are exact (the reference target, or a matched local tokenizer).
    var exactPrompts: Bool
    /// When this point's schedule starts (monotonic ns), when a scaled-out worker was given a common start.
    var origin: UInt64?
}

extension BenchSession {
    /// Measures one point, appends it to the timeline and returns it with its requests and, when every request failed, why
    /// the sweep stops; nil when the run was cancelled before the point started.
    func measurePoint(index: Int, mode: LoadMode, _ context: PointContext) async throws
        -> (point: PointResult, records: [RequestRecord], stopSweep: String?)?
    {
        let before = await context.scraper?.scrape()
        let interval = plan.telemetry.scrapeIntervalSeconds ?? 1
        let (journal, flusher) = try startJournal(index: index, mode: mode, context)
        defer {
            flusher.cancel()
            context.progress?.journal(nil)
        }
        let polling = context.scraper.map { s in Task { await s.poll(intervalSeconds: interval) } }
        let measured: (run: PointRun, conversations: [ConversationRecord], trace: Trace?)
        switch plan.workload.shape {
        case .requests:
            guard let run = try await measureRequests(index: index, mode: mode, context) else { return nil }
            measured = (run, [], nil)
        case let .conversations(program):
            let played = await measureConversations(.program(program), index: index, mode: mode, available: nil, context)
            measured = (played.run, played.conversations, nil)
        case let .trace(trace) where trace.hasSessions:
            let played = await measureConversations(.trace(trace.conversations), index: index, mode: mode, available: trace.conversations.count,
                                                    context)
            measured = (played.run, played.conversations, trace)
        case let .trace(trace):
            measured = (await replay(trace, index: index, mode: mode, context), [], trace)
        }
        let run = measured.run
        flusher.cancel()
        await flusher.value
        context.progress?.journal(nil)
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
        point.conversations = ConversationSummary.compute(conversations: measured.conversations, records: records, window: run.window, gpus: plan.gpus)
        point.warnings += Self.warnings(point.conversations)
        point.trace = measured.trace.map { traceSummary($0, records: records) }
        point.price = plan.pricing.map { PointPricing.price($0, records: records, conversations: measured.conversations, metrics: point.metrics,
                                                           today: plan.pricingDate) }
        do {
            try journal.flush()
            try context.files.endPoint(index, window: run.window, conversations: measured.conversations,
                                       firstMeasuredID: TimelinePointEnd.firstMeasuredID(of: run.records))
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

    /// A point of single requests from the plan's prompt source; nil when the run was cancelled while planning it.
    func measureRequests(index: Int, mode: LoadMode, _ context: PointContext) async throws -> PointRun? {
        let bounds = plan.load.bounds(for: mode)
        let w = plan.workload
        let generator = WorkloadGenerator(source: w.source, inputLength: w.inputLength, outputLength: w.outputLength,
                                          seed: (plan.load.seed &+ UInt64(index) &* 7919) ^ plan.load.promptSalt)
        let planned: [PlannedRequest]
        do {
            planned = try await generator.plan(count: plan.load.planSize(for: bounds, mode: mode), counter: context.counter)
        } catch {
            if Task.isCancelled { return nil }
            throw BenchError(message: "cannot build the workload: \(error)")
        }
        let prepared = planned.map { RequestBuilder.request(prompt: $0.prompt, maxTokens: $0.maxTokens, options: context.options, address: plan.endpoint.address) }
        return await LoadRunner(client: context.client, streamed: context.options.stream, api: plan.endpoint.api,
                                arrivalShare: plan.load.arrivalShare, origin: context.origin).run(
            mode: mode, plan: planned, prepared: prepared, bounds: bounds, seed: plan.load.seed &+ UInt64(index), requestIDPrefix: "p\(index)-",
            progress: context.progress)
    }

    /// A point of conversations: sessions or tasks of a program, or a trace's conversations.
    func measureConversations(_ source: ConversationSource, index: Int, mode: LoadMode, available: Int?, _ context: PointContext) async
        -> ConversationPointRun
    {
        var runner = ConversationRunner(client: context.client, options: context.options, address: plan.endpoint.address, text: context.text,
                                        speedup: plan.workload.speedup, exactPrompts: context.exactPrompts)
        runner.salt = plan.load.promptSalt
        return await runner.run(source, mode: mode, bounds: plan.load.conversationBounds(for: mode, available: available), pointIndex: index,
                                seed: plan.load.seed &+ UInt64(index), progress: context.progress)
    }

    /// A trace replayed request by request at its recorded times (divided by the speed-up), each prompt built just before it
    /// is due.
    func replay(_ trace: Trace, index: Int, mode: LoadMode, _ context: PointContext) async -> PointRun {
        let (text, options, address, exact) = (context.text, context.options, plan.endpoint.address, context.exactPrompts)
        let requests = trace.requests
        let source = TracedRequests(times: requests.map(\.time)) { i in
            let r = requests[i]
            let request = RequestBuilder.request(prompt: .text(text.prompt(r.prompt)), maxTokens: r.outputTokens, options: options, address: address)
            return (RequestShape(promptTokens: r.prompt.tokens, exact: exact, maxTokens: r.outputTokens), request)
        }
        return await LoadRunner(client: context.client, streamed: context.options.stream, api: plan.endpoint.api, origin: context.origin).run(
            mode: mode, source: .traced(source), bounds: plan.load.replayBounds(requests: requests.count), seed: plan.load.seed &+ UInt64(index),
            requestIDPrefix: "p\(index)-", progress: context.progress)
    }

    /// What the trace holds and how much of it the server served from its cache.
    func traceSummary(_ trace: Trace, records: [RequestRecord]) -> TraceSummary {
        let reported = records.filter(\.succeeded).compactMap { r in r.usage.flatMap { u in u.cachedPromptTokens.map { ($0, u.promptTokens) } } }
        let prompt = reported.reduce(0) { $0 + $1.1 }
        return TraceSummary(
            format: trace.format.rawValue, file: (trace.path as NSString).lastPathComponent, requests: trace.requestCount,
            conversations: trace.hasSessions ? trace.conversations.count : nil, blockSize: trace.blockSize, speedup: plan.workload.speedup,
            uniqueBlocks: trace.reuse.uniqueBlocks, blockReuse: trace.reuse.blockReuse, tokenReuse: trace.reuse.tokenReuse,
            requestReuse: trace.reuse.requestReuse, recordedCachedShare: trace.reuse.recordedCachedShare,
            serverCachedShare: prompt > 0 ? Double(reported.reduce(0) { $0 + $1.0 }) / Double(prompt) : nil, notes: trace.notes)
    }

    /// What the reader of a point's conversations should know.
    static func warnings(_ summary: ConversationSummary?) -> [String] {
        guard let s = summary else { return [] }
        var out: [String] = []
        if s.stoppedByFailure > 0 { out.append("\(s.stoppedByFailure) \(s.kind)s stopped at a failed call; their later calls were not sent") }
        if s.cutShort > 0 { out.append("\(s.cutShort) \(s.kind)s were cut short when the point ended (see --drain-timeout, --max-point-duration)") }
        if s.truncated > 0 { out.append("\(s.truncated) \(s.kind)s had their oldest messages dropped to fit the context limit") }
        if s.cachedTokens == nil, s.measured > 0 {
            out.append("the server reported no cached prompt tokens (usage.prompt_tokens_details.cached_tokens), so what its prefix cache "
                + "served each turn is not known")
        }
        return out
    }

    /// The GPUs' energy over the point's window, from the power collector.
    func measureEnergy(_ power: PowerCollector, of point: inout PointResult) async {
        // Readings just after the window's end bracket it; wait for them (a loaded host may deliver them late).
        _ = await power.waitForReading(atOrAfter: point.window.endNanoseconds, timeout: max(2, 4 * plan.telemetry.powerIntervalSeconds))
        let (samples, counters, problems) = power.collected
        let measurement = EnergyMeasurement(samples: samples, counters: counters, window: point.window, expectedGPUs: plan.gpus,
                                            source: power.source.label)
        point.energy = MeasuredEnergy(measurement: measurement, metrics: point.metrics)
        if !measurement.valid {
            point.warnings.append("power measurement not valid: " + (problems + measurement.problems).joined(separator: "; "))
        }
    }

    /// Starts the point in the timeline and its journal, which appends each request as it completes (so a killed run keeps
    /// them; `runs recover`), flushed by the returned task.
    func startJournal(index: Int, mode: LoadMode, _ context: PointContext) throws -> (TimelineJournal, Task<Void, Never>) {
        let now = MonotonicClock.nowNanoseconds()
        let offered: Double? = if case let .rate(r, _, _, _) = mode { r } else { nil }
        do {
            try context.files.beginPoint(TimelinePointHeader(point: index, label: mode.label, window: MeasurementWindow(startNanoseconds: now, endNanoseconds: now),
                                                             gpus: plan.gpus, slo: plan.objective, offeredRequestsPerSecond: offered))
        } catch {
            throw BenchError(message: "cannot append to \(context.files.timelineURL.path): \(error.localizedDescription)")
        }
        let local = plan.workload.tokenizer?.tokenizer
        let journal = TimelineJournal(files: context.files, point: index) { record in
            guard let local, record.delivered else { return record }
            var counted = record
            counted.localOutputTokens = local.count(record.joinedOutput, addSpecialTokens: false)
            return counted
        }
        context.progress?.journal(journal)
        return (journal, Task { await journal.run() })
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
        case let .replay(_, m): cap = m
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
