import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel
import TokenMeterReport
import TokenMeterWorkloads

/// Everything `predict` reads from its options, checked once: the deployment, the efficiencies and why, the serving options
/// and the price.
struct PredictSetup {
    var deployment: Deployment
    var gpu: GPUEntry
    var chosen: ChosenEfficiency
    var options: ServingOptions
    var pricing: (pricer: Pricer, profile: CostProfile)?
    var levels: [Int]
    var inputLength: Int
    var outputLength: Int

    init(_ c: PredictCommand) throws {
        let catalog = try HardwareCatalog.load(extraDirectory: c.pricing.catalog.catalog)
        let models = try ModelCatalog.load()
        guard let modelName = c.model.model else { throw ConfigError(field: "model", message: "predict needs --model (a catalog id or a config.json)") }
        guard let gpuName = c.gpu.gpu else { throw ConfigError(field: "gpu", message: "predict needs --gpu (a catalog GPU such as h200)") }
        let architecture = try models.architecture(modelName)
        gpu = try catalog.gpu(gpuName)
        inputLength = try Self.length(c.lengths.isl, default: 1024, field: "isl")
        outputLength = try Self.length(c.lengths.osl, default: 1024, field: "osl")
        let layout = try Parallelism.resolve(for: architecture, gpus: try c.gpus.count(), tp: c.layout.tp, ep: c.layout.ep, dp: c.layout.dp)
        deployment = Deployment(model: architecture, hardware: try HardwareSpec(gpu), precision: try c.precision.resolve(default: .fp8)!,
                                parallelism: layout)
        levels = try c.concurrency.levels(default: [1, 2, 4, 8, 16, 32, 64, 128, 256])
        options = try Self.servingOptions(c, models: models)
        if c.kvOffload && deployment.hardware.hostMemoryBytes <= 0 {
            throw ConfigError(field: "kv-offload", message: "the catalog gives \(gpu.id) no host memory figure; add host_memory_gb in a catalog file")
        }
        chosen = try Self.efficiency(c, deployment: deployment, gpu: gpu, catalog: catalog, models: models)
        pricing = try Self.pricing(c, gpu: gpu)
    }

    /// What the prediction is of, for the output.
    var summary: PredictionSummary {
        PredictionSummary(deployment: deployment, options: options, efficiency: chosen, inputLength: inputLength, outputLength: outputLength,
                          pricing: pricing)
    }

    /// A length: a number, or the mean of a distribution.
    static func length(_ text: String?, default value: Int, field: String) throws(ConfigError) -> Int {
        guard let text else { return value }
        return max(1, Int(try LengthSpec(parsing: text, field: field).nominalMean.rounded()))
    }

    /// Speculation (MTP or a draft model, with its acceptance), the prefix cache and KV offload.
    static func servingOptions(_ c: PredictCommand, models: ModelCatalog) throws(ConfigError) -> ServingOptions {
        var speculation: Speculation?
        if c.mtp != nil || c.draftModel != nil {
            guard c.mtp == nil || c.draftModel == nil else { throw ConfigError(field: "mtp", message: "choose --mtp or --draft-model, not both") }
            guard let acceptance = c.acceptance else {
                throw ConfigError(field: "acceptance", message: "speculation needs --acceptance (e.g. 0.85 for DeepSeek-V3 MTP, REFERENCE.md)")
            }
            if let n = c.mtp {
                speculation = try Speculation(drafter: .mtp, draftTokens: n, acceptance: acceptance)
            } else if let draft = c.draftModel {
                speculation = try Speculation(drafter: .model(try models.architecture(draft)), draftTokens: c.draftTokens, acceptance: acceptance)
            }
        } else if c.acceptance != nil {
            throw ConfigError(field: "acceptance", message: "--acceptance needs --mtp N or --draft-model M")
        }
        return try ServingOptions(speculation: speculation, prefixHitRate: c.prefixHit, kvOffload: c.kvOffload)
    }

    /// The efficiencies: fitted now on `--calibrate-data` rows, else from the calibration store (this GPU's, its family's,
    /// another GPU's), else the built-in fit of the engine, else — or with `--priors` — the stated priors.
    static func efficiency(_ c: PredictCommand, deployment: Deployment, gpu: GPUEntry, catalog: HardwareCatalog,
                           models: ModelCatalog) throws -> ChosenEfficiency {
        if c.priors {
            guard c.calibrateData == nil else { throw ConfigError(field: "priors", message: "--priors and --calibrate-data both choose the efficiencies; give one") }
            return ChosenEfficiency(efficiency: .prior, provenance: "prior", description: "stated priors (--priors)", band: nil)
        }
        guard let data = c.calibrateData else {
            return try CalibrationStore.standard().choose(hardware: deployment.hardware, engine: c.engine.engine, precision: deployment.precision,
                                                          builtIn: try Calibration.builtIn())
        }
        guard let engine = c.engine.engine else { throw ConfigError(field: "engine", message: "--calibrate-data needs --engine trtllm|vllm|sglang") }
        let usable = MeasuredData.rows(try MeasuredData.read(path: data), gpu: gpu, engine: engine, precision: deployment.precision,
                                       validator: Validator(models: models, hardware: catalog))
        guard !usable.isEmpty else {
            throw ConfigError(field: "calibrate-data", message: "no \(engine) \(deployment.precision.rawValue) rows for \(gpu.id) in \(data)")
        }
        // The simulation's own coefficients only when it runs: they take a few simulations of every row.
        let formula = Validator.calibrate(usable, provenance: "measured")
        let fitted = c.simulate ? Validator.fitSimulation(usable, formula) : formula
        return ChosenEfficiency(efficiency: fitted, provenance: "measured", description: "measured now on \(usable.count) \(engine) rows of \(data)",
                                band: ErrorBand(usable.map { Validator.predict($0.0, $0.1, fitted) }))
    }

    /// The price, when one was asked for (`--tier` or `--profile`).
    static func pricing(_ c: PredictCommand, gpu: GPUEntry) throws(ConfigError) -> (pricer: Pricer, profile: CostProfile)? {
        guard c.pricing.requested else { return nil }
        if c.pricing.tier != nil && c.pricing.profile != nil { throw ConfigError(field: "tier", message: "choose --tier or --profile, not both") }
        let pricer = try Pricer(try c.pricing.policy())
        switch pricer.profile(forHardware: gpu.id) {
        case let .success(profile): return (pricer, profile)
        case let .failure(unpriced): throw ConfigError(field: c.pricing.profile == nil ? "tier" : "profile", message: unpriced.reason)
        }
    }

    /// The prefill workers' layout (`--prefill-gpus/--prefill-tp/--prefill-ep/--prefill-dp`; default: the decode layout's GPUs,
    /// all TP).
    func prefillLayout(_ c: PredictCommand) throws(ConfigError) -> Parallelism {
        let dp = c.prefillDp ?? 1
        let gpus = c.prefillGpus ?? c.prefillTp.map { $0 * max(1, dp) } ?? (c.prefillDp == nil ? deployment.parallelism.gpus : dp)
        guard gpus >= 1 else { throw ConfigError(field: "prefill-gpus", message: "--prefill-gpus must be at least 1") }
        if let n = c.prefillWorkers, n < 1 { throw ConfigError(field: "prefill-workers", message: "--prefill-workers must be at least 1") }
        if let n = c.decodeWorkers, n < 1 { throw ConfigError(field: "decode-workers", message: "--decode-workers must be at least 1") }
        return try Parallelism.resolve(for: deployment.model, gpus: gpus, tp: c.prefillTp, ep: c.prefillEp, dp: dp, flag: "prefill-")
    }
}
