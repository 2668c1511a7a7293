import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel
import TokenMeterReport

/// Everything `predict` reads from its flags, checked once: the deployment, the efficiencies and why, the serving options
/// and the cost profile.
struct PredictSetup {
    var deployment: Deployment
    var gpu: GPUEntry
    var chosen: ChosenEfficiency
    var options: ServingOptions
    var pricing: (pricer: Pricer, profile: CostProfile)?
    var levels: [Int]
    var inputLength: Int
    var outputLength: Int
    private var command: PredictCommand

    init(_ c: PredictCommand) throws {
        command = c
        let catalog = try HardwareCatalog.load()
        let models = try ModelCatalog.load()
        let architecture = try Self.architecture(c.model, models)
        gpu = try catalog.gpu(c.hardware)
        let spec = try HardwareSpec(gpu)
        let precision = try Precision(parsing: c.precision)
        guard c.gpus >= 1, c.dp >= 1 else { throw ConfigError(field: "gpus", message: "--gpus and --dp must be at least 1") }
        guard c.isl >= 1, c.osl >= 1 else { throw ConfigError(field: "isl", message: "--isl and --osl must be at least 1") }
        inputLength = c.isl
        outputLength = c.osl
        let layout = try Self.layout(architecture, gpus: c.gpus, tp: c.tp, ep: c.ep, dp: c.dp, flag: "")
        deployment = Deployment(model: architecture, hardware: spec, precision: precision, parallelism: layout)
        levels = try BenchCommand.list(c.concurrency, field: "concurrency") { Int($0) }
        guard levels.allSatisfy({ $0 >= 1 }) else { throw ConfigError(field: "concurrency", message: "every concurrency must be at least 1") }

        var speculation: Speculation?
        if c.mtp != nil || c.draftModel != nil {
            guard c.mtp == nil || c.draftModel == nil else {
                throw ConfigError(field: "mtp", message: "choose --mtp or --draft-model, not both")
            }
            guard let acceptance = c.acceptance else {
                throw ConfigError(field: "acceptance", message: "speculation needs --acceptance (e.g. 0.85 for DeepSeek-V3 MTP, REFERENCE.md)")
            }
            if let n = c.mtp {
                speculation = try Speculation(drafter: .mtp, draftTokens: n, acceptance: acceptance)
            } else if let draft = c.draftModel {
                speculation = try Speculation(drafter: .model(try Self.architecture(draft, models)), draftTokens: c.draftTokens, acceptance: acceptance)
            }
        } else if c.acceptance != nil {
            throw ConfigError(field: "acceptance", message: "--acceptance needs --mtp N or --draft-model M")
        }
        options = try ServingOptions(speculation: speculation, prefixHitRate: c.prefixHit, kvOffload: c.kvOffload)
        if c.kvOffload && spec.hostMemoryBytes <= 0 {
            throw ConfigError(field: "kv-offload", message: "the catalog gives \(gpu.id) no host memory figure; add host_memory_gb in a catalog file")
        }

        let gpuID = gpu.id
        if let data = c.calibrateData {
            guard let engine = c.engine else { throw ConfigError(field: "engine", message: "--calibrate-data needs --engine trtllm|vllm|sglang") }
            let validator = Validator(models: models, hardware: catalog)
            let rows = try MeasuredData.read(path: data).filter {
                $0.backend == engine && (try? Precision(parsing: $0.precision)) == precision
                    && (try? catalog.gpu($0.system.replacingOccurrences(of: "_", with: "-")))?.id == gpuID
            }
            let usable = rows.compactMap { row in (try? validator.setup(row).get()).map { (row, $0) } }
            guard !usable.isEmpty else {
                throw ConfigError(field: "calibrate-data", message: "no \(engine) \(precision.rawValue) rows for \(gpuID) in \(data)")
            }
            let fitted = Validator.calibrate(usable, provenance: "measured")
            chosen = ChosenEfficiency(efficiency: fitted, provenance: "measured",
                                      description: "measured now on \(usable.count) \(engine) rows of \(data)",
                                      band: ErrorBand(usable.map { Validator.predict($0.0, $0.1, fitted) }))
        } else {
            chosen = try CalibrationStore.standard().choose(hardware: spec, engine: c.engine, precision: precision)
        }

        if c.tier != nil && c.profile != nil { throw ConfigError(field: "tier", message: "choose --tier or --profile, not both") }
        if c.tier != nil || c.profile != nil {
            let pricer = try Pricer(PricingPolicy(profilePath: c.profile, tier: c.tier ?? PricingPolicy.defaultTier))
            switch pricer.profile(forHardware: gpu.id) {
            case let .success(profile): pricing = (pricer, profile)
            case let .failure(unpriced): throw ConfigError(field: c.profile == nil ? "tier" : "profile", message: unpriced.reason)
            }
        }
    }

    /// What the prediction is of, for the output.
    var summary: PredictionSummary {
        PredictionSummary(deployment: deployment, options: options, efficiency: chosen, inputLength: inputLength, outputLength: outputLength,
                          pricing: pricing)
    }

    /// A catalog model or a Hugging Face config.json.
    static func architecture(_ name: String, _ models: ModelCatalog) throws(ConfigError) -> ModelArchitecture {
        name.hasSuffix(".json") ? try HuggingFaceConfig.architecture(path: name) : try models.model(name)
    }

    /// A layout from GPU count and degrees, checked: TP × DP = GPUs, EP divides the GPUs and needs a MoE model.
    static func layout(_ m: ModelArchitecture, gpus: Int, tp: Int?, ep: Int?, dp: Int, flag: String) throws(ConfigError) -> Parallelism {
        let tensor = tp ?? max(1, gpus / dp)
        guard tensor >= 1, tensor * dp == gpus else {
            throw ConfigError(field: flag + "tp", message: "tp × dp must equal the GPUs of a \(flag.isEmpty ? "replica" : "worker") (\(tensor) × \(dp) ≠ \(gpus))")
        }
        let expert = ep ?? 1
        guard m.moe != nil || expert == 1 else {
            throw ConfigError(field: flag + "ep", message: "\(m.id) is dense; expert parallelism needs a MoE model")
        }
        guard expert >= 1, gpus % expert == 0 else { throw ConfigError(field: flag + "ep", message: "--\(flag)ep must divide the GPUs (\(gpus))") }
        return Parallelism(tensor: tensor, attentionData: dp, expert: expert, expertTensor: m.moe == nil ? 1 : gpus / expert)
    }

    /// The prefill workers' layout (`--prefill-gpus/--prefill-tp/--prefill-ep`; default: the decode layout's GPUs, all TP).
    func prefillLayout() throws(ConfigError) -> Parallelism {
        let gpus = command.prefillGpus ?? command.prefillTp ?? deployment.parallelism.gpus
        guard gpus >= 1 else { throw ConfigError(field: "prefill-gpus", message: "--prefill-gpus must be at least 1") }
        if let n = command.prefillWorkers, n < 1 { throw ConfigError(field: "prefill-workers", message: "--prefill-workers must be at least 1") }
        if let n = command.decodeWorkers, n < 1 { throw ConfigError(field: "decode-workers", message: "--decode-workers must be at least 1") }
        return try Self.layout(deployment.model, gpus: gpus, tp: command.prefillTp, ep: command.prefillEp, dp: 1, flag: "prefill-")
    }
}
