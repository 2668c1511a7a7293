import Foundation
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterOpenAI
import TokenMeterResults
import TokenMeterTelemetry
import TokenMeterTokenizer
import TokenMeterWorkloads

/// Why a benchmark could not run at all (as opposed to requests failing inside it).
public struct BenchError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to do.
    public var message: String
    public var description: String { message }

    /// Creates an error.
    public init(message: String) { self.message = message }
}

/// Runs a sweep against one endpoint, saving each point as soon as it is measured.
public struct BenchSession: Sendable {
    /// The resolved settings.
    public var plan: BenchPlan
    /// The settings as written into the result (redacted).
    public var settings: RunSettings
    /// `reference target (simulated)` or `external`.
    public var targetKind: String
    /// Where result.json and timeline.jsonl go.
    public var outputDirectory: URL

    /// Creates a session.
    public init(plan: BenchPlan, settings: RunSettings, targetKind: String, outputDirectory: URL) {
        self.plan = plan
        self.settings = settings
        self.targetKind = targetKind
        self.outputDirectory = outputDirectory
    }

    /// Called as points start and finish, for the progress display.
    public struct Observer: Sendable {
        /// A point is about to start.
        public var pointStarted: @Sendable (Int, LoadMode) -> Void
        /// A point finished and was saved.
        public var pointFinished: @Sendable (PointResult) -> Void
        /// Creates an observer.
        public init(pointStarted: @escaping @Sendable (Int, LoadMode) -> Void = { _, _ in },
                    pointFinished: @escaping @Sendable (PointResult) -> Void = { _ in }) {
            self.pointStarted = pointStarted
            self.pointFinished = pointFinished
        }
    }

    /// Keeps the run somewhere as it goes (the run store): told when the run starts, after each point is measured (with its
    /// requests), and when it ends. Each call runs to completion even when the run was cancelled (Ctrl-C), so what was
    /// measured is kept; a failure becomes a warning of the run and stops further calls, never the measurement.
    public struct Recorder: Sendable {
        /// The run started (no points yet).
        public var started: @Sendable (RunResult) async throws -> Void
        /// A point was measured: the run so far, the point, and its requests.
        public var pointMeasured: @Sendable (RunResult, PointResult, [RequestRecord]) async throws -> Void
        /// The run ended (complete or partial).
        public var finished: @Sendable (RunResult) async throws -> Void
        /// Creates a recorder.
        public init(started: @escaping @Sendable (RunResult) async throws -> Void,
                    pointMeasured: @escaping @Sendable (RunResult, PointResult, [RequestRecord]) async throws -> Void,
                    finished: @escaping @Sendable (RunResult) async throws -> Void) {
            self.started = started
            self.pointMeasured = pointMeasured
            self.finished = finished
        }
    }

    /// Calls a recorder in an unstructured task (so a cancelled run still commits) and turns its first failure into a warning.
    private final class RecorderState: @unchecked Sendable {
        let recorder: Recorder?
        var failed = false
        init(_ recorder: Recorder?) { self.recorder = recorder }

        func call(_ warnings: inout [String], _ body: @escaping @Sendable (Recorder) async throws -> Void) async {
            guard let recorder, !failed else { return }
            let task = Task { try await body(recorder) }
            do { try await task.value } catch {
                failed = true
                warnings.append("the run store failed, so this run is kept only in its result files: \(error)")
            }
        }
    }

    /// Runs every point; a cancelled task stops the sweep, keeps what was measured and marks the run partial.
    ///
    /// Cancelled before the first point started (during model discovery or tokenizer checks), it throws
    /// `CancellationError`: nothing was measured.
    public func run(progress: ProgressCounters? = nil, observer: Observer = Observer(), recorder: Recorder? = nil) async throws -> RunResult {
        let client = StreamingHTTPClient(host: plan.address.host, port: plan.address.port, timeouts: plan.timeouts, tls: plan.tls)
        do {
            let result = try await run(client: client, progress: progress, observer: observer, recorder: RecorderState(recorder))
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private func run(client: StreamingHTTPClient, progress: ProgressCounters?, observer: Observer, recorder: RecorderState) async throws -> RunResult {
        let files: ResultFiles
        do { files = try ResultFiles(directory: outputDirectory) } catch {
            throw BenchError(message: "cannot write results to \(outputDirectory.path): \(error.localizedDescription); pass --output DIR")
        }
        var serverModels: [String] = []
        do {
            serverModels = try await ModelDiscovery.models(client: client, address: plan.address, headers: plan.headers)
        } catch let failure as RequestFailure where failure.kind == .connect {
            throw BenchError(message: "cannot reach \(plan.address): \(failure.message). Is the server running? Check --url.")
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if plan.model == nil {
                throw BenchError(message: "\(plan.address) did not list its models (\(error)); pass --model NAME")
            }
        }
        guard let model = plan.model ?? serverModels.first else {
            throw BenchError(message: "\(plan.address) lists no models; pass --model NAME")
        }
        var warnings: [String] = []
        if let named = plan.model, !serverModels.isEmpty, !serverModels.contains(named) {
            warnings.append("model '\(named)' is not among the server's models (\(serverModels.joined(separator: ", ")))")
        }

        // Exact prompt lengths through the server's tokenizer when it has one.
        var counter: (any TokenCounter)?
        var lengthSource = "approximate"
        if let local = plan.tokenizer {
            counter = local.tokenizer
            lengthSource = "local tokenizer (\((local.path as NSString).lastPathComponent))"
        } else if plan.tokenize != .off {
            let candidate = ServerTokenCounter(client: client, address: plan.address, model: model)
            do {
                _ = try await candidate.count("hello world")
                counter = candidate
                lengthSource = targetKind == Self.referenceKind ? "reference tokenizer" : "server /tokenize"
            } catch {
                if Task.isCancelled { throw CancellationError() }
                if plan.tokenize == .server {
                    throw BenchError(message: "the server's /tokenize failed (\(error)); use --tokenize auto or off")
                }
                warnings.append("prompt lengths are approximate: the server has no working /tokenize (\(error))")
            }
        } else {
            warnings.append("prompt lengths are approximate (--tokenize off)")
        }

        // Server metrics: scraped when the server answers /metrics in the Prometheus format.
        var scraper: MetricsScraper?
        if plan.scrapeIntervalSeconds != nil {
            let candidate = MetricsScraper(client: client, address: plan.address)
            switch await candidate.scrape() {
            case .success: scraper = candidate
            case let .failure(failure):
                if Task.isCancelled { throw CancellationError() }
                warnings.append("server metrics not scraped: \(failure.message)")
            }
        }

        let continuousUsage = plan.continuousUsage ?? (targetKind == Self.referenceKind)
        let options = RequestOptions(api: plan.api, model: model, stream: plan.stream, ignoreEOS: plan.ignoreEOS, minTokens: plan.minTokens,
                                     continuousUsage: continuousUsage, headers: plan.headers, extraBody: plan.extraBody)
        var result = RunResult(
            schema: ToolInfo.resultSchema,
            provenance: Provenance(
                toolVersion: ToolInfo.version, targetURL: plan.address.description, targetKind: targetKind, model: model,
                serverModels: serverModels, host: ProcessInfo.processInfo.hostName, gpus: plan.gpus,
                startedAt: ISO8601DateFormatter().string(from: Date()), promptLengthSource: lengthSource),
            config: settings, points: [], partial: false, warnings: warnings)
        try write(result, to: files)
        let initial = result
        await recorder.call(&result.warnings) { try await $0.started(initial) }

        let runner = LoadRunner(client: client, streamed: plan.stream)
        let power = plan.power.map { PowerCollector(source: $0) }
        power?.start(intervalSeconds: plan.powerIntervalSeconds)
        defer { power?.stop() }
        for (index, mode) in plan.modes.enumerated() {
            if Task.isCancelled {
                result.partial = true
                break
            }
            observer.pointStarted(index, mode)
            let bounds = plan.bounds(for: mode)
            let generator = WorkloadGenerator(source: plan.source, inputLength: plan.inputLength, outputLength: plan.outputLength,
                                              seed: plan.seed &+ UInt64(index) &* 7919)
            let planned: [PlannedRequest]
            do {
                planned = try await generator.plan(count: plan.planSize(for: bounds, mode: mode), counter: counter)
            } catch {
                if Task.isCancelled { result.partial = true; break }
                throw BenchError(message: "cannot build the workload: \(error)")
            }
            let prepared = planned.map { p in
                RequestBuilder.request(prompt: p.prompt, maxTokens: p.maxTokens, options: options, address: plan.address)
            }
            let before = await scraper?.scrape()
            let interval = plan.scrapeIntervalSeconds ?? 1
            let polling = scraper.map { s in Task { await s.poll(intervalSeconds: interval) } }
            let run = await runner.run(mode: mode, plan: planned, prepared: prepared, bounds: bounds, seed: plan.seed &+ UInt64(index),
                                       requestIDPrefix: "p\(index)-", progress: progress)
            polling?.cancel()
            let samples = await polling?.value ?? []
            var point = Self.pointResult(index: index, mode: mode, run: run, gpus: plan.gpus, objective: plan.objective)
            if let power {
                // Readings just after the window's end bracket it; wait one interval for them.
                try? await Task.sleep(nanoseconds: UInt64(plan.powerIntervalSeconds * 1.5e9))
                let (samples, counters, problems) = power.collected
                let measurement = EnergyMeasurement(samples: samples, counters: counters, window: run.window, expectedGPUs: plan.gpus,
                                                    source: power.source.label)
                point.energy = MeasuredEnergy(measurement: measurement, metrics: point.metrics)
                if !measurement.valid {
                    point.warnings.append("power measurement not valid: " + (problems + measurement.problems).joined(separator: "; "))
                }
            }
            if case let .success(start)? = before, case let .success(end)? = await scraper?.scrape() {
                point.serverMetrics = ServerMetricsSummary(start: start, end: end, samples: samples, window: run.window, records: run.records)
            }
            var records = run.records
            if let local = plan.tokenizer?.tokenizer {
                for i in records.indices where records[i].delivered {
                    records[i].localOutputTokens = local.count(records[i].joinedOutput, addSpecialTokens: false)
                }
            }
            let tokens = TokenReconciliation(records: records, localPrompts: plan.tokenizer != nil, server: point.serverMetrics)
            point.tokens = tokens
            point.warnings += tokens.warnings
            do {
                try files.appendTimeline(
                    header: TimelinePointHeader(point: index, label: mode.label, window: run.window, gpus: plan.gpus, slo: plan.objective,
                                                offeredRequestsPerSecond: run.offeredRequestsPerSecond),
                    records: records)
            } catch {
                throw BenchError(message: "cannot append to \(files.timelineURL.path): \(error.localizedDescription)")
            }
            result.points.append(point)
            if run.partial { result.partial = true }
            let soFar = result, measured = point, kept = records
            await recorder.call(&result.warnings) { try await $0.pointMeasured(soFar, measured, kept) }
            try write(result, to: files)
            observer.pointFinished(point)
            if run.partial { break }
            if point.metrics.requestsSucceeded == 0, point.metrics.requestsFailed > 0 {
                let first = run.records.first { !$0.succeeded }?.failure?.message ?? "unknown error"
                result.warnings.append("every request of \(mode.label) failed (first error: \(first)); sweep stopped")
                try write(result, to: files)
                break
            }
        }
        let final = result
        await recorder.call(&result.warnings) { try await $0.finished(final) }
        if recorder.failed { try write(result, to: files) }
        return result
    }

    /// Label of runs against the built-in target.
    public static let referenceKind = "reference target (simulated)"

    private func write(_ result: RunResult, to files: ResultFiles) throws {
        do { try files.writeResult(result) } catch {
            throw BenchError(message: "cannot write \(files.resultURL.path): \(error.localizedDescription)")
        }
    }

    /// Builds a point's result with its metrics and warnings.
    public static func pointResult(index: Int, mode: LoadMode, run: PointRun, gpus: Int, objective: ServiceLevelObjective?) -> PointResult {
        let metrics = PointMetrics.compute(records: run.records, window: run.window, gpus: gpus, objective: objective,
                                           offeredRequestsPerSecond: run.offeredRequestsPerSecond)
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
        var concurrency: Int?
        var rate: Double?
        var arrival: ArrivalProcess?
        var cap: Int?
        switch mode {
        case let .concurrency(c): concurrency = c
        case let .rate(r, a, _, m):
            rate = r
            arrival = a
            cap = m
        }
        return PointResult(index: index, label: mode.label, concurrency: concurrency, rate: rate, arrival: arrival, maxConcurrency: cap,
                           window: run.window, metrics: metrics, partial: run.partial, stoppedBy: run.stoppedBy, warnings: warnings,
                           serverMetrics: nil, energy: nil)
    }
}
