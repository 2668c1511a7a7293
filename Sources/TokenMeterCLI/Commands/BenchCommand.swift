import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterDialects
import TokenMeterHTTP
import TokenMeterReport
import TokenMeterResults
import TokenMeterStore
import TokenMeterTarget

/// `tokenmeter bench`: drive load at an endpoint (or the built-in reference target) and measure every token.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Drive load at an OpenAI-compatible endpoint and timestamp every token.",
        discussion: """
            With no --url, starts the built-in reference target (simulated) on a loopback port and runs the default sweep.
            Every option can also be set in a YAML file given with --config, under the same names; the command line wins.
            The API key comes from --api-key-env NAME, --api-key-file PATH, or TOKENMETER_API_KEY / OPENAI_API_KEY.
            """
    )

    @Option(help: "YAML file of options, under their flag names (key: value; lists as YAML lists; switches as true or false).")
    var config: String?
    @OptionGroup(title: "Endpoint") var endpoint: EndpointOptions
    @OptionGroup(title: "Load") var load: LoadOptions
    @OptionGroup(title: "Workload") var workload: WorkloadOptions
    @OptionGroup(title: "Telemetry") var telemetry: TelemetryOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions
    @OptionGroup(title: "Price") var price: BenchPriceOptions
    @OptionGroup(title: "Search") var search: SearchOptions
    @OptionGroup(title: "Scale out") var scaleOut: ScaleOutOptions
    @Flag(help: "Do not keep the run in the run store (TOKENMETER_DATABASE_URL or TOKENMETER_STORE); result files only.") var noStore = false
    @OptionGroup var output: OutputOptions
    @Flag(help: "No progress line.") var quiet = false

    /// The plan, every option checked; the built-in target's address stands in for a missing `--url` until it runs.
    func plan(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> BenchPlan {
        let endpoint = try self.endpoint.resolve(url: "http://127.0.0.1:1/v1", environment: environment)
        let workload = try self.workload.resolve(api: endpoint.api, seed: UInt64(bitPattern: Int64(load.seed)))
        if endpoint.api == .embeddings, !workload.isSingleRequests {
            throw ConfigError(field: "api", message: "embeddings are single requests: sessions, tasks and traces need a generating dialect")
        }
        let gpus = try runOptions.gpus.count()
        var plan = BenchPlan(endpoint: endpoint, load: try load.resolve(for: workload), workload: workload,
                             telemetry: try telemetry.resolve(), gpus: gpus, objective: try runOptions.slo.objective())
        plan.load.search = try search.resolve(plan.load, objective: plan.objective)
        plan.pricing = try price.source(gpu: runOptions.gpu.gpu, gpus: gpus, endpoint: endpoint, provider: try self.endpoint.preset())
        plan.pricingDate = BenchPriceOptions.today
        return plan
    }

    /// The settings the run keeps: every option as given or defaulted, and the lengths it used.
    var settings: RunSettings {
        var settings = RecordedSettings.of([endpoint, load, workload, telemetry, runOptions, price, search])
        settings["isl"] = settings["isl"] ?? .string("256")
        settings["osl"] = settings["osl"] ?? .string("128")
        return settings
    }

    func run() async throws {
        if let engine = scaleOut.worker { return try await runWorker(engine) }
        if scaleOut.slurm { return try await runSlurm() }
        var plan = try plan()
        try OpenFileLimit.check(plan.load.modes, limit: OpenFileLimit.raise())
        var target: ReferenceTarget?
        if endpoint.effectiveURL == nil {
            do { target = try await ReferenceTarget.start(TargetConfiguration()) } catch {
                throw BenchError(message: "cannot start the built-in reference target: \(error)")
            }
            plan.endpoint.address = EndpointAddress(host: "127.0.0.1", port: target!.port, basePath: "/v1")
        }
        var settings = self.settings
        settings["url"] = .string(target?.baseURL ?? plan.endpoint.address.description)
        let directory = URL(fileURLWithPath: runOptions.output.output ?? Self.defaultOutputDirectory())
        // The store opens before anything is measured, so a wrong TOKENMETER_DATABASE_URL costs nothing.
        var store: (any RunStore)?
        if !noStore {
            do { store = try await StoreLocation.open() } catch {
                await target?.stop()
                throw ConfigError(field: "store", message: "cannot open the run store: \(error); fix it or pass --no-store")
            }
        }
        var session = BenchSession(plan: plan, settings: settings, targetKind: target == nil ? "external" : BenchSession.referenceKind,
                                   outputDirectory: directory)
        let metadata = runOptions.metadata
        if store != nil { session.runID = metadata.id }
        if !quiet, !output.json {
            Terminal.error("tokenmeter bench → \(plan.endpoint.address) (\(session.targetKind)); \(plan.load.modes.count) points; results in \(directory.path)")
            RecoverCommand.offer(besides: directory)
        }
        let outcome = await measure(session, recorder: store.map { RunRecorder(store: $0, metadata: metadata).recorder })
        await target?.stop()
        await store?.close()
        try report(outcome, directory: directory, kept: store.map { (metadata.id, $0.location) })
    }

    /// Runs the session with a progress line, Ctrl-C cancelling it; whether it was interrupted comes back with the outcome.
    func measure(_ session: BenchSession, recorder: BenchSession.Recorder?) async -> (result: Result<RunResult, any Error>, interrupted: Bool) {
        let progress = ProgressCounters()
        let display = ProgressDisplay(counters: progress, enabled: !quiet, tty: Terminal.stderrIsTTY, pointCount: session.plan.load.modes.count)
        let observer = BenchSession.Observer(pointStarted: { index, mode in display.pointStarted(index: index, label: mode.label) },
                                             pointFinished: { point in display.pointFinished(point) })
        let runTask = Task { try await session.run(progress: progress, observer: observer, recorder: recorder) }
        let interrupts = InterruptHandler { runTask.cancel() }
        let displayTask = Task { await display.loop() }
        let outcome = await runTask.result
        interrupts.restore()
        displayTask.cancel()
        _ = await displayTask.result
        display.finish()
        return (outcome, interrupts.fired)
    }

    /// Prints the result (a table or JSON), its warnings and where it was kept; exits 130 when interrupted.
    func report(_ outcome: (result: Result<RunResult, any Error>, interrupted: Bool), directory: URL, kept: (id: String, location: String)?) throws {
        let result: RunResult
        do { result = try outcome.result.get() } catch is CancellationError {
            Terminal.error("interrupted before anything was measured")
            throw ExitCode(130)
        }
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(BenchText.render(result))
        }
        for warning in result.warnings { Terminal.error("warning: \(warning)") }
        for point in result.points { for warning in point.warnings { Terminal.error("warning: \(point.label): \(warning)") } }
        Terminal.error("saved \(directory.appendingPathComponent("result.json").path) and timeline.jsonl")
        if let kept, !result.warnings.contains(where: { $0.hasPrefix("the run store failed") }) {
            Terminal.error("kept as run \(kept.id) in \(kept.location) (tokenmeter runs show \(kept.id))")
        }
        if outcome.interrupted {
            Terminal.error("interrupted: the measured requests were kept and the run is marked partial")
            throw ExitCode(130)
        }
        if result.points.isEmpty { throw ExitCode.failure }
    }

    static func defaultOutputDirectory() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "tokenmeter-results/" + formatter.string(from: Date())
    }
}
