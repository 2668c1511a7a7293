import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel
import TokenMeterTarget

/// `tokenmeter target`: run the reference target on its own until interrupted.
struct TargetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "target",
        abstract: "Run the reference target: every API dialect over a simulated continuous-batching engine."
    )

    @OptionGroup var listen: ListenOptions
    @Option(help: "Model name the target reports.") var modelName = TargetConfiguration.defaultModelName
    @Option(help: "Most sequences running at once.") var maxBatch = BatchLimits.default.maxRunning
    @Option(help: "Most tokens one step computes, the decodes' included; longer prompts are prefilled in chunks.")
    var maxPrefillTokens = BatchLimits.default.prefillTokensPerStep
    @Option(help: "Tokens the simulated KV cache holds (default \(BatchLimits.default.kvCapacityTokens), or with --model what the GPU's memory leaves for it).")
    var kvCapacityTokens: Int?
    @Option(help: "Per-step overhead, ms.") var stepFixedMs = ParametricStepTime.default.fixedMilliseconds
    @Option(help: "Per decoding sequence, ms.") var stepPerSequenceMs = ParametricStepTime.default.perSequenceMilliseconds
    @Option(help: "Per token of KV context, µs.") var stepPerContextTokenUs = ParametricStepTime.default.perContextTokenMicroseconds
    @Option(help: "Per prefilled prompt token, µs.") var stepPerPrefillTokenUs = ParametricStepTime.default.perPrefillTokenMicroseconds
    @Option(help: "Multiplier on every step time (0.1 = ten times faster).") var timeScale = 1.0
    @Option(help: "Chance per token of stopping early when a request does not set ignore_eos.") var eosProbability = 0.0
    @Option(help: "Write a JSONL log of when every token was flushed to its socket, on exit.") var groundTruth: String?
    @Flag(help: "Also keep each request's prompt text in the ground-truth log.") var groundTruthPrompts = false
    @Option(help: "Tokens the simulated prefix cache holds, least recently used evicted first (0: no prefix cache).")
    var prefixCacheTokens = BatchLimits.default.kvCapacityTokens
    @Option(help: "Tokens per prefix-cache block (vLLM's block size).") var prefixBlockTokens = 16
    @OptionGroup(title: "Step times from the performance model (instead of the --step-* parameters)") var model: ModelOption
    @OptionGroup var gpu: GPUOption
    @OptionGroup var gpus: GPUCountOption
    @OptionGroup var layout: LayoutOptions
    @OptionGroup var precision: PrecisionOption
    @Option(help: "Inject faults, e.g. http-503=0.05,stall=0.01 (kinds: \(Fault.allCases.map(\.rawValue).joined(separator: ", "))).")
    var fault: String?
    @Option(help: "Output tokens of every answer that are reasoning, streamed before the answer in each dialect's reasoning field.")
    var reasoningTokens = 0
    @Option(help: "Chat's delta field for reasoning: reasoning_content (SGLang, llama.cpp) or reasoning (vLLM).")
    var reasoningField = "reasoning_content"
    @Option(help: "Admit at most this many requests per minute (a token bucket); past it answer 429 with retry-after and rate-limit headers.")
    var rateLimitRpm: Double?
    @Option(help: "Requests the rate limit admits at once from a full bucket (default: one second's worth).") var rateLimitBurst: Double?
    @Option(help: "Environment variable holding an API key every generation request must carry (x-api-key or Bearer); default: none.")
    var apiKeyEnv: String?

    func validate() throws {
        guard (0...65535).contains(listen.port ?? 8000) else { throw ValidationError("--port must be 0...65535") }
        guard maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1") }
        guard maxPrefillTokens >= 1 else { throw ValidationError("--max-prefill-tokens must be at least 1") }
        if let kvCapacityTokens, kvCapacityTokens < 1 { throw ValidationError("--kv-capacity-tokens must be at least 1") }
        guard timeScale >= 0 else { throw ValidationError("--time-scale must not be negative") }
        guard (0...1).contains(eosProbability) else { throw ValidationError("--eos-probability must be within 0...1") }
        guard prefixCacheTokens >= 0 else { throw ValidationError("--prefix-cache-tokens must not be negative") }
        guard (1...65536).contains(prefixBlockTokens) else { throw ValidationError("--prefix-block-tokens must be 1...65536") }
        guard reasoningTokens >= 0 else { throw ValidationError("--reasoning-tokens must not be negative") }
        guard ["reasoning_content", "reasoning"].contains(reasoningField) else { throw ValidationError("--reasoning-field must be reasoning_content or reasoning") }
        if let rateLimitRpm, rateLimitRpm <= 0 { throw ValidationError("--rate-limit-rpm must be above 0") }
        if let rateLimitBurst, rateLimitBurst < 1 { throw ValidationError("--rate-limit-burst must be at least 1") }
    }

    /// The roofline model of `--model` on `--gpu`, when asked for.
    func rooflineModel() throws -> PerformanceModel? {
        guard let name = model.model else {
            guard gpu.gpu == nil else { throw ConfigError(field: "gpu", message: "only applies with --model") }
            return nil
        }
        guard let hardware = gpu.gpu else { throw ConfigError(field: "gpu", message: "--model needs --gpu, e.g. --gpu h100") }
        let architecture = try ModelCatalog.load().architecture(name)
        let layout = try Parallelism.resolve(for: architecture, gpus: try gpus.count(default: layout.tp ?? 1), tp: layout.tp, ep: layout.ep, dp: layout.dp)
        return PerformanceModel(deployment: Deployment(model: architecture, hardware: try HardwareSpec(try HardwareCatalog.load().gpu(hardware)),
                                                       precision: try precision.resolve(default: .fp8)!, parallelism: layout))
    }

    /// The engine's settings: step times from the roofline model or the --step-* parameters, and its batch and KV limits.
    func engine() throws -> (timing: any StepTiming, limits: BatchLimits) {
        let roofline = try rooflineModel()
        let limits = BatchLimits(maxRunning: maxBatch, prefillTokensPerStep: maxPrefillTokens,
                                 kvCapacityTokens: kvCapacityTokens ?? roofline?.kvCapacityTokens() ?? BatchLimits.default.kvCapacityTokens)
        if let roofline { return (RooflineStepTime(model: roofline, timeScale: timeScale), limits) }
        let parametric = ParametricStepTime(fixedMilliseconds: stepFixedMs, perSequenceMilliseconds: stepPerSequenceMs,
                                            perContextTokenMicroseconds: stepPerContextTokenUs, perPrefillTokenMicroseconds: stepPerPrefillTokenUs,
                                            timeScale: timeScale)
        return (parametric, limits)
    }

    func run() async throws {
        let (timing, limits) = try engine()
        let host = listen.host, port = try listen.port(default: 8000)
        var key: String?
        if let apiKeyEnv {
            guard let value = ProcessInfo.processInfo.environment[apiKeyEnv], !value.isEmpty else {
                throw ConfigError(field: "api-key-env", message: "environment variable \(apiKeyEnv) is not set or empty")
            }
            key = value
        }
        let configuration = TargetConfiguration(
            host: host, port: port, modelName: modelName, limits: limits, timing: timing, eosProbability: eosProbability, groundTruthPath: groundTruth,
            faults: try fault.map { f throws(ConfigError) in try FaultPlan(parsing: f) } ?? FaultPlan(),
            prefixCacheTokens: prefixCacheTokens, prefixBlockTokens: prefixBlockTokens, recordPrompts: groundTruthPrompts,
            reasoningTokens: reasoningTokens, reasoningField: reasoningField,
            rateLimit: rateLimitRpm.map { RateLimit(requestsPerMinute: $0, burst: rateLimitBurst) }, apiKey: key)
        let target: ReferenceTarget
        do {
            target = try await ReferenceTarget.start(configuration)
        } catch {
            throw BenchError(message: "cannot listen on \(host):\(port): \(error); pick another --port")
        }
        if !["127.0.0.1", "::1", "localhost"].contains(host) {
            Terminal.error("warning: listening on \(host), not loopback: anyone who can reach it can use it")
        }
        FileHandle.standardOutput.write(Data("reference target listening on \(target.baseURL) (model \(modelName)); Ctrl-C stops it\n".utf8))
        let stop = AsyncStream<Void> { continuation in
            let handler = InterruptHandler { continuation.yield() }
            continuation.onTermination = { _ in handler.restore() }
        }
        for await _ in stop { break }
        await target.stop()
        if let groundTruth { Terminal.error("ground truth written to \(groundTruth)") }
    }
}
