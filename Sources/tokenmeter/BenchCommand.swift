import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterOpenAI
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
            Every flag can also be set in a YAML file given with --config (same names); flags override the file.
            The API key comes from --api-key-env NAME, --api-key-file PATH, or TOKENMETER_API_KEY / OPENAI_API_KEY.
            """
    )

    @Option(help: "YAML file with any of these settings.") var config: String?
    @Option(help: "Endpoint base URL, http:// or https://, e.g. http://127.0.0.1:8000/v1 (default: the built-in target).") var url: String?
    @Option(help: "Model name (default: the first the server lists).") var model: String?
    @Option(help: "API: completions or chat.") var api: APIKind?
    @Flag(inversion: .prefixedNo, help: "Stream responses with server-sent events (default on).") var stream: Bool?
    @Option(help: "Closed-loop concurrencies to sweep, e.g. 1,2,4,8.") var concurrency: String?
    @Option(help: "Open-loop request rates per second to sweep, e.g. 5,10,20.") var rate: String?
    @Option(help: "Arrival process for --rate: poisson, constant or gamma.") var arrival: ArrivalProcess?
    @Option(help: "Gamma shape for --arrival gamma (1 = Poisson, <1 burstier).") var burstiness: Double?
    @Option(help: "Cap on requests in flight for --rate points.") var maxConcurrency: Int?
    @Option(help: "Input tokens: 1024, uniform:512-2048 or normal:MEAN,SD,MIN,MAX.") var isl: String?
    @Option(help: "Output tokens, same forms as --isl.") var osl: String?
    @Option(help: "Measured requests per point (default 8 x concurrency, at least 16).") var requests: Int?
    @Option(help: "Measure each point for this long instead of a count, e.g. 120s.") var duration: String?
    @Option(help: "Warm-up per point: a request count or a time such as 10s (default: one round).") var warmup: String?
    @Option(help: "In-flight requests at the end of a point: wait or cancel.") var drain: DrainRule?
    @Option(help: "Longest wait for in-flight requests after a point, e.g. 60s.") var drainTimeout: String?
    @Option(help: "Hard limit on one point, warm-up and drain included, e.g. 10m.") var maxPointDuration: String?
    @Option(help: "Closed loop: spread the slots' first requests evenly over this long, e.g. 2s (default: all at once).") var rampUp: String?
    @Option(help: "GPUs behind the endpoint, for per-GPU throughput.") var gpus: Int?
    @Option(help: "Service-level objective for goodput, e.g. ttft_p99=2s,tpot_p99=80ms, or mlperf-llama3.1-8b.") var slo: String?
    @Option(help: "Seed for prompts, lengths and arrivals.") var seed: Int?
    @Option(help: "JSONL dataset: prompt/text, messages or ShareGPT conversations per line.") var dataset: String?
    @Option(help: "Shared-prefix workload: number of distinct prefixes.") var prefixCount: Int?
    @Option(help: "Shared-prefix workload: tokens per prefix.") var prefixTokens: Int?
    @Option(help: "Shared-prefix workload: suffixes per prefix.") var suffixesPerPrefix: Int?
    @Option(help: "Environment variable holding the API key.") var apiKeyEnv: String?
    @Option(help: "File holding the API key.") var apiKeyFile: String?
    @Option(help: "PEM file of the CA that signed an https endpoint's certificate (default: system roots).") var caFile: String?
    @Option(help: "Extra header 'Name: value' (repeatable).") var header: [String] = []
    @Option(help: "Extra JSON body fields, e.g. '{\"top_k\": 1}'.") var extraBody: String?
    @Flag(inversion: .prefixedNo, help: "Send ignore_eos so max_tokens is delivered (default on).") var ignoreEos: Bool?
    @Flag(inversion: .prefixedNo, help: "Also send min_tokens = max_tokens.") var minTokens: Bool?
    @Flag(inversion: .prefixedNo, help: "Ask for usage in every chunk (vLLM continuous_usage_stats).") var continuousUsage: Bool?
    @Option(help: "Exact prompt lengths: auto (server /tokenize if present), server, or off.") var tokenize: String?
    @Option(help: "Hugging Face tokenizer.json (or its folder): exact prompt lengths and a local count of every output.") var tokenizer: String?
    @Option(help: "Longest silence between bytes of a response, e.g. 300s.") var readTimeout: String?
    @Option(help: "Longest a whole request may take, e.g. 30m.") var requestTimeout: String?
    @Option(help: "Scrape the server's Prometheus /metrics during each point: auto or off.") var scrapeMetrics: String?
    @Option(help: "Interval between /metrics scrapes, e.g. 1s.") var scrapeInterval: String?
    @Option(help: "GPU power during the run: off, nvidia-smi or amd-smi (sidecar on this host), or dcgm (exporter at --power-url).") var power: String?
    @Option(help: "DCGM exporter metrics URL.") var powerUrl: String?
    @Option(help: "Command printing power CSV (nvidia-smi or amd-smi style, header optional), instead of the default sidecar call.") var powerCommand: String?
    @Option(help: "Interval between power readings, e.g. 500ms.") var powerInterval: String?
    @Option(help: "Folder for result.json and timeline.jsonl.") var output: String?
    @Option(help: "Free-text label stored with the run.") var label: String?
    @Option(help: "GPU type behind the endpoint (catalog id), kept with the run for comparisons and pricing.") var hardware: String?
    @Option(help: "Serving engine behind the endpoint (vllm, sglang, trtllm, llama.cpp, ...), kept with the run.") var engine: String?
    @Option(help: "Its version, kept with the run.") var engineVersion: String?
    @Flag(help: "Do not keep the run in the run store (TOKENMETER_DATABASE_URL or TOKENMETER_STORE); result files only.") var noStore = false
    @Flag(help: "Print the result JSON on standard output instead of the table.") var json = false
    @Flag(help: "No progress line.") var quiet = false

    /// The YAML file (if any) with every flag given on the command line laid over it.
    func mergedConfig() throws -> BenchConfig {
        var c = try config.map { path throws(ConfigError) in try BenchConfig.load(path: path) } ?? BenchConfig()
        if let url { c.url = url }
        if let model { c.model = model }
        if let api { c.api = api }
        if let stream { c.stream = stream }
        if let concurrency { c.concurrency = try Self.list(concurrency, field: "concurrency") { Int($0) } }
        if let rate { c.rate = try Self.list(rate, field: "rate") { Double($0) } }
        if let arrival { c.arrival = arrival }
        if let burstiness { c.burstiness = burstiness }
        if let maxConcurrency { c.maxConcurrency = maxConcurrency }
        if let isl { c.isl = isl }
        if let osl { c.osl = osl }
        if let requests { c.requests = requests }
        if let duration { c.duration = duration }
        if let warmup { c.warmup = warmup }
        if let drain { c.drain = drain }
        if let drainTimeout { c.drainTimeout = drainTimeout }
        if let maxPointDuration { c.maxPointDuration = maxPointDuration }
        if let rampUp { c.rampUp = rampUp }
        if let gpus { c.gpus = gpus }
        if let slo { c.slo = slo }
        if let seed { c.seed = seed }
        if let dataset { c.dataset = dataset }
        if let prefixCount { c.prefixCount = prefixCount }
        if let prefixTokens { c.prefixTokens = prefixTokens }
        if let suffixesPerPrefix { c.suffixesPerPrefix = suffixesPerPrefix }
        if let apiKeyEnv { c.apiKeyEnv = apiKeyEnv }
        if let apiKeyFile { c.apiKeyFile = apiKeyFile }
        if let caFile { c.caFile = caFile }
        if !header.isEmpty { c.header = header }
        if let extraBody { c.extraBody = extraBody }
        if let ignoreEos { c.ignoreEOS = ignoreEos }
        if let minTokens { c.minTokens = minTokens }
        if let continuousUsage { c.continuousUsage = continuousUsage }
        if let tokenize { c.tokenize = tokenize }
        if let tokenizer { c.tokenizer = tokenizer }
        if let readTimeout { c.readTimeout = readTimeout }
        if let requestTimeout { c.requestTimeout = requestTimeout }
        if let power { c.power = power }
        if let powerUrl { c.powerURL = powerUrl }
        if let powerCommand { c.powerCommand = powerCommand }
        if let powerInterval { c.powerInterval = powerInterval }
        if let scrapeMetrics { c.scrapeMetrics = scrapeMetrics }
        if let scrapeInterval { c.scrapeInterval = scrapeInterval }
        if let output { c.output = output }
        if let label { c.label = label }
        return c
    }

    static func list<T>(_ text: String, field: String, _ parse: (String) -> T?) throws(ConfigError) -> [T] {
        var values: [T] = []
        for part in text.split(separator: ",") {
            guard let v = parse(part.trimmingWhitespace) else {
                throw ConfigError(field: field, message: "'\(part)' is not a number; write a comma-separated list such as 1,2,4")
            }
            values.append(v)
        }
        guard !values.isEmpty else { throw ConfigError(field: field, message: "empty list") }
        return values
    }

    func run() async throws {
        var config = try mergedConfig()
        var target: ReferenceTarget?
        var targetKind = "external"
        // Validate everything before starting anything; the built-in target's address is known only once it runs.
        var validated = config
        if validated.url == nil { validated.url = "http://127.0.0.1:1/v1" }
        var plan = try BenchPlan(config: validated, environment: ProcessInfo.processInfo.environment)
        try OpenFileLimit.check(plan.modes, limit: OpenFileLimit.raise())
        if config.url == nil {
            do {
                target = try await ReferenceTarget.start(TargetConfiguration())
            } catch {
                throw BenchError(message: "cannot start the built-in reference target: \(error)")
            }
            plan.address = EndpointAddress(host: "127.0.0.1", port: target!.port, basePath: "/v1")
            config.url = target!.baseURL
            targetKind = BenchSession.referenceKind
        }
        let directory = URL(fileURLWithPath: config.output ?? Self.defaultOutputDirectory())
        if target == nil { config.url = plan.address.description }
        // The store opens before anything is measured, so a wrong TOKENMETER_DATABASE_URL costs nothing.
        var store: (any RunStore)?
        if !noStore {
            do { store = try await StoreLocation.open() } catch {
                await target?.stop()
                throw ConfigError(field: "store", message: "cannot open the run store: \(error); fix it or pass --no-store")
            }
        }
        let metadata = RunMetadata(hardware: hardware, engine: engine, engineVersion: engineVersion, label: config.label)
        let recorder = store.map { RunRecorder(store: $0, metadata: metadata).recorder }
        let session = BenchSession(plan: plan, settings: config.settings, targetKind: targetKind, outputDirectory: directory)
        if !quiet, !json {
            Terminal.error("tokenmeter bench → \(plan.address) (\(targetKind)); \(plan.modes.count) points; results in \(directory.path)")
        }
        let progress = ProgressCounters()
        let display = ProgressDisplay(counters: progress, enabled: !quiet, tty: Terminal.stderrIsTTY, pointCount: plan.modes.count)
        let observer = BenchSession.Observer(
            pointStarted: { index, mode in display.pointStarted(index: index, label: mode.label) },
            pointFinished: { point in display.pointFinished(point) })
        let runTask = Task { try await session.run(progress: progress, observer: observer, recorder: recorder) }
        let interrupts = InterruptHandler { runTask.cancel() }
        let displayTask = Task { await display.loop() }
        let outcome = await runTask.result
        interrupts.restore()
        displayTask.cancel()
        _ = await displayTask.result
        display.finish()
        await target?.stop()

        let result: RunResult
        do {
            result = try outcome.get()
        } catch is CancellationError {
            await store?.close()
            Terminal.error("interrupted before anything was measured")
            throw ExitCode(130)
        } catch {
            await store?.close()
            throw error
        }
        await store?.close()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print("\(result.provenance.model) @ \(result.provenance.targetURL) [\(result.provenance.targetKind)], "
                  + "\(result.provenance.gpus) GPU(s), prompt lengths: \(result.provenance.promptLengthSource)")
            print(TerminalTable.render(result))
            for point in result.points {
                guard let s = point.serverMetrics else { continue }
                func n(_ v: Double?, _ d: Int = 1) -> String { v.map { Format.number($0, d) } ?? "-" }
                let tokens = s.serverGenerationTokens.map { "server counted \(Int($0)) generated tokens (client \(s.clientOutputTokens))" } ?? "no token counters"
                let gauges = s.scrapes == 0
                    ? "no scrape fell inside the window (shorten --scrape-interval)"
                    : "running mean \(n(s.runningMean)) max \(n(s.runningMax)), waiting max \(n(s.waitingMax)), "
                        + "KV cache max \(n(s.kvCacheUsageMax.map { $0 * 100 }))%"
                print("\(point.label) server: \(gauges), \(tokens)"
                      + (s.prefixCacheHitRate.map { ", prefix-cache hit rate \(n($0 * 100))%" } ?? "")
                      + (s.specDecodeAcceptance.map { ", spec-decode acceptance \(n($0 * 100))%" } ?? ""))
            }
            for point in result.points {
                guard let t = point.tokens, t.requests > 0 else { continue }
                func three(_ usage: Int, _ local: Int?, _ server: Double?) -> String {
                    "usage \(usage)" + (local.map { ", local \($0)" } ?? "") + (server.map { ", server \(Int($0))" } ?? "")
                }
                print("\(point.label) tokens over \(t.requests) requests: output \(three(t.usageOutputTokens, t.localOutputTokens, t.serverOutputTokens)); "
                      + "prompt \(three(t.usagePromptTokens, t.localPromptTokens, t.serverPromptTokens))"
                      + (t.outputMismatches + t.promptMismatches > 0 ? " — \(t.outputMismatches) output and \(t.promptMismatches) prompt counts differ" : ""))
                for finding in t.findings { print("\(point.label) tokens: \(finding)") }
            }
            for point in result.points {
                guard let e = point.energy else { continue }
                func n(_ v: Double?, _ d: Int = 3) -> String { v.map { Format.number($0, d) } ?? "-" }
                print("\(point.label) energy (gpu-board-measured, \(e.measurement.source), \(e.measurement.method ?? "trapezoid")): "
                      + "\(n(e.measurement.meanWatts, 0)) W over "
                      + "\(e.measurement.gpus) GPUs, \(n(e.joulesPerToken)) J/token, \(n(e.joulesPerOutputToken)) J/output token"
                      + (e.measurement.valid ? "" : " (NOT valid: \(e.measurement.problems.joined(separator: "; ")))"))
            }
        }
        for warning in result.warnings { Terminal.error("warning: \(warning)") }
        for point in result.points { for warning in point.warnings { Terminal.error("warning: \(point.label): \(warning)") } }
        Terminal.error("saved \(directory.appendingPathComponent("result.json").path) and timeline.jsonl")
        if let store, !result.warnings.contains(where: { $0.hasPrefix("the run store failed") }) {
            Terminal.error("kept as run \(metadata.id) in \(store.location) (tokenmeter runs show \(metadata.id))")
        }
        if interrupts.fired {
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
