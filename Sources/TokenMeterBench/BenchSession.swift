import Foundation
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects
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
    /// Label of runs against the built-in target.
    public static let referenceKind = "reference target (simulated)"

    /// The resolved settings.
    public var plan: BenchPlan
    /// The settings as written into the result (redacted).
    public var settings: RunSettings
    /// `reference target (simulated)` or `external`.
    public var targetKind: String
    /// Where result.json and timeline.jsonl go.
    public var outputDirectory: URL
    /// The run store's id of the run, recorded in its result so a killed run can be recovered into it.
    public var runID: String?
    /// Waits before the last tries of store writes that failed, seconds.
    public var storeRetryBackoff: [Double] = [1, 2, 4]
    /// Runs once setup is done (model found, tokenizer loaded), right before each point (its index): a scaled-out worker
    /// learns there the common start instant of the point (monotonic ns), which the point's schedule then starts at.
    public var beforePoint: (@Sendable (Int) async throws -> UInt64?)?

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
    /// The run store's side of a session: each write (the run, each point, the finish) is kept in order until it succeeds. A
    /// store that fails (a PostgreSQL server that went away) loses nothing: the results stay in the result files, the writes
    /// it missed are sent again before each later one, and once more with a backoff at the end; the output says which.
    final class RecorderState: @unchecked Sendable {
        let recorder: Recorder?
        private var pending: [@Sendable (Recorder) async throws -> Void] = []
        private(set) var failures = 0
        /// Waits between the last tries at the end, seconds.
        let finalBackoff: [Double]
        init(_ recorder: Recorder?, finalBackoff: [Double] = [1, 2, 4]) {
            self.recorder = recorder
            self.finalBackoff = finalBackoff
        }

        /// True while a write has not reached the store.
        var failed: Bool { !pending.isEmpty }

        func call(_ warnings: inout [String], _ body: @escaping @Sendable (Recorder) async throws -> Void) async {
            guard recorder != nil else { return }
            pending.append(body)
            await drain(&warnings)
        }

        /// Sends the waiting writes in order, stopping at the first that fails.
        private func drain(_ warnings: inout [String]) async {
            guard let recorder else { return }
            while let next = pending.first {
                do {
                    try await Task { try await next(recorder) }.value
                    pending.removeFirst()
                } catch {
                    failures += 1
                    if failures == 1 { warnings.append("the run store failed (\(error)); the results stay in the result files and each write is retried") }
                    return
                }
            }
        }

        /// Tries the writes still waiting a last few times; says whether the store has the run.
        func finish(_ warnings: inout [String], directory: URL) async {
            for wait in finalBackoff where failed {
                try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
                await drain(&warnings)
            }
            if failed {
                warnings.append("the run store is still unreachable: the run is kept in \(directory.path); `tokenmeter runs recover \(directory.path)` "
                    + "puts it into the store once it is back")
            } else if failures > 0 {
                warnings.append("the run store came back: every write it missed was sent again and kept")
            }
        }
    }

    /// Whether the endpoint is the built-in reference target.
    var isReference: Bool { targetKind == Self.referenceKind }

    /// Runs every point; a cancelled task stops the sweep, keeps what was measured and marks the run partial.
    ///
    /// Cancelled before the first point started (during model discovery or tokenizer checks), it throws
    /// `CancellationError`: nothing was measured.
    public func run(progress: ProgressCounters? = nil, observer: Observer = Observer(), recorder: Recorder? = nil) async throws -> RunResult {
        let e = plan.endpoint
        let client = StreamingHTTPClient(host: e.address.host, port: e.address.port, timeouts: e.timeouts, tls: e.tls, retry: e.retry)
        do {
            let result = try await run(client: client, progress: progress, observer: observer,
                                       recorder: RecorderState(recorder, finalBackoff: storeRetryBackoff))
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
        let (model, serverModels, discoveryWarnings) = try await discoverModel(client)
        let lengths = try await chooseTokenCounter(client, model: model)
        let scraper = try await startScraper(client)
        var result = RunResult(
            schema: ToolInfo.resultSchema,
            provenance: Provenance(
                toolVersion: ToolInfo.version, targetURL: plan.endpoint.address.description, targetKind: targetKind, model: model,
                serverModels: serverModels, host: ProcessInfo.processInfo.hostName, gpus: plan.gpus,
                startedAt: ISO8601DateFormatter().string(from: Date()), promptLengthSource: lengths.source),
            config: settings, points: [], partial: false, warnings: discoveryWarnings + lengths.warnings + scraper.warnings)
        result.provenance.runID = runID
        try write(result, to: files)
        let initial = result
        await recorder.call(&result.warnings) { try await $0.started(initial) }
        let text = syntheticText()
        let context = PointContext(client: client, files: files, counter: lengths.counter, scraper: scraper.scraper,
                                   options: plan.endpoint.requestOptions(model: model, reference: isReference),
                                   power: plan.telemetry.power.map { PowerCollector(source: $0) }, progress: progress ?? ProgressCounters(),
                                   text: text.text, exactPrompts: isReference || text.matched)
        if let power = context.power {
            power.start(intervalSeconds: plan.telemetry.powerIntervalSeconds)
            // The first point's window must start after a reading, or its energy cannot be measured.
            _ = await power.waitForReading(atOrAfter: 0, timeout: max(2, 4 * plan.telemetry.powerIntervalSeconds))
        }
        defer { context.power?.stop() }
        var search = plan.load.search
        var sweep = plan.load.modes.makeIterator()
        var index = 0
        while let mode = search != nil ? search!.next() : sweep.next() {
            if Task.isCancelled {
                result.partial = true
                break
            }
            var pointContext = context
            pointContext.origin = try await startInstant(index)
            observer.pointStarted(index, mode)
            guard var (point, records, stopSweep) = try await measurePoint(index: index, mode: mode, pointContext) else {
                result.partial = true
                break
            }
            if search != nil { note(&search!, point: &point, records: records, in: &result) }
            result.points.append(point)
            if point.partial { result.partial = true }
            let soFar = result, kept = records, measured = point
            await recorder.call(&result.warnings) { try await $0.pointMeasured(soFar, measured, kept) }
            if let stopSweep { result.warnings.append(stopSweep) }
            try write(result, to: files)
            observer.pointFinished(point)
            if point.partial || (stopSweep != nil && search == nil) { break }
            index += 1
        }
        if let search { result.search?.stopReason = search.stopReason }
        try await finishRecording(&result, recorder, files)
        return result
    }

    /// A scaled-out worker's start of point `index` (nil otherwise). Single requests and request traces start their schedule
    /// at it; sessions, whose runner keeps its own lead, are started by waiting until it.
    private func startInstant(_ index: Int) async throws -> UInt64? {
        guard let origin = try await beforePoint?(index) else { return nil }
        switch plan.workload.shape {
        case .requests: return origin
        case .trace where !plan.workload.isSessionTrace: return origin
        default:
            let now = MonotonicClock.nowNanoseconds()
            if origin > now { try await Task.sleep(nanoseconds: origin - now) }
            return nil
        }
    }

    /// Tells the store the run ended; when it failed on the way, tries the missed writes a last few times and says how it went.
    private func finishRecording(_ result: inout RunResult, _ recorder: RecorderState, _ files: ResultFiles) async throws {
        let final = result
        await recorder.call(&result.warnings) { try await $0.finished(final) }
        guard recorder.failures > 0 else { return }
        await recorder.finish(&result.warnings, directory: outputDirectory)
        try write(result, to: files)
    }

    /// Tells the search whether a probe met the objective, and keeps its verdict in the result.
    func note(_ search: inout CapacitySearch, point: inout PointResult, records: [RequestRecord], in result: inout RunResult) {
        let verdict = CapacitySearch.verdict(point, records: records)
        search.record(passed: verdict.passed)
        let load = search.probes.last ?? 0
        if result.search == nil {
            result.search = SearchSummary(axis: search.axis == .concurrency ? "concurrency" : "rate", probes: [], bestPoint: nil,
                                          stopReason: "", tolerance: search.tolerance)
        }
        result.search?.probes.append(.init(point: point.index, load: load, passed: verdict.passed, why: verdict.why))
        if verdict.passed, load >= (result.search?.bestPoint.flatMap { i in result.search?.probes.first { $0.point == i }?.load } ?? 0) {
            result.search?.bestPoint = point.index
        }
    }

    /// The words of synthetic conversation and trace prompts: narrowed to the local tokenizer's one-token words when there is
    /// one (`matched`), so their counts are exact for it as they are for the reference target.
    func syntheticText() -> (text: SyntheticText, matched: Bool) {
        guard let local = plan.workload.tokenizer?.tokenizer,
              let vocabulary = SyntheticText.vocabulary(whereOneToken: { local.count($0, addSpecialTokens: false) == 1 }) else {
            return (SyntheticText(seed: plan.load.seed), false)
        }
        return (SyntheticText(seed: plan.load.seed, vocabulary: vocabulary), true)
    }

    func write(_ result: RunResult, to files: ResultFiles) throws {
        do { try files.writeResult(result) } catch {
            throw BenchError(message: "cannot write \(files.resultURL.path): \(error.localizedDescription)")
        }
    }
}
