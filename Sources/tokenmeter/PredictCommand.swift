import ArgumentParser
import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel
import TokenMeterReport

/// `tokenmeter predict`: the aggregated serving front of a model on hardware, from the roofline model.
struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict TTFT, TPOT and tok/s/GPU over concurrency for a model on hardware (aggregated serving).",
        discussion: "Uses the stated prior efficiencies, or the ones fitted on --calibrate-data for this hardware, engine and precision."
    )

    @Option(help: "Catalog model (llama-3.1-8b, deepseek-r1, qwen3-235b-a22b, gpt-oss-120b, ...) or a config.json path.") var model: String
    @Option(help: "Catalog GPU (h100, h200, b200, gb200, mi300x, ...).") var hardware: String
    @Option(help: "GPUs of one replica (tensor parallel degree unless --tp is given).") var gpus: Int = 1
    @Option(help: "Tensor parallel degree.") var tp: Int?
    @Option(help: "Expert parallel degree (MoE).") var ep: Int?
    @Option(help: "Attention data parallel degree.") var dp: Int = 1
    @Option(help: "Weight precision: bf16, fp8, fp4 or int4.") var precision: String = "fp8"
    @Option(help: "Input tokens per request.") var isl: Int = 1024
    @Option(help: "Output tokens per request.") var osl: Int = 1024
    @Option(help: "Concurrencies to predict.") var concurrency: String = "1,2,4,8,16,32,64,128,256"
    @Option(help: "Measured CSV to calibrate efficiencies on (rows of the same system, engine and precision).") var calibrateData: String?
    @Option(help: "Engine whose rows calibrate (trtllm, vllm, sglang).") var engine: String?
    @Option(help: "Price the front with a catalog tier: hyperscaler, neocloud or rental.") var tier: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let hardwareCatalog = try HardwareCatalog.load()
        let models = try ModelCatalog.load()
        let architecture = model.hasSuffix(".json") ? try HuggingFaceConfig.architecture(path: model) : try models.model(model)
        let gpu = try hardwareCatalog.gpu(hardware)
        let spec = try HardwareSpec(gpu)
        let precisionValue = try Precision(parsing: precision)
        guard gpus >= 1, dp >= 1, isl >= 1, osl >= 1 else { throw ConfigError(field: "gpus", message: "gpus, dp, isl and osl must be at least 1") }
        let tensor = tp ?? max(1, gpus / dp)
        guard tensor * dp == gpus else { throw ConfigError(field: "tp", message: "tp × dp must equal --gpus (\(tensor) × \(dp) ≠ \(gpus))") }
        let expert = ep ?? 1
        guard architecture.moe != nil || expert == 1 else { throw ConfigError(field: "ep", message: "\(architecture.id) is dense; expert parallelism needs a MoE model") }
        guard gpus % expert == 0 else { throw ConfigError(field: "ep", message: "--ep must divide --gpus") }
        let layout = Parallelism(tensor: tensor, attentionData: dp, expert: expert, expertTensor: architecture.moe == nil ? 1 : gpus / expert)
        let deployment = Deployment(model: architecture, hardware: spec, precision: precisionValue, parallelism: layout)
        var efficiency = Efficiency.prior
        var band: ErrorBand?
        if let calibrateData {
            guard let engine else { throw ConfigError(field: "engine", message: "--calibrate-data needs --engine trtllm|vllm|sglang") }
            let validator = Validator(models: models, hardware: hardwareCatalog)
            let rows = try MeasuredData.read(path: calibrateData).filter {
                $0.backend == engine && (try? Precision(parsing: $0.precision)) == precisionValue
                    && $0.system.replacingOccurrences(of: "_", with: "-").hasPrefix(gpu.id)
            }
            let usable = rows.compactMap { row in (try? validator.deployment(row).get()).map { (row, $0) } }
            guard !usable.isEmpty else {
                throw ConfigError(field: "calibrate-data", message: "no \(engine) \(precisionValue.rawValue) rows for \(gpu.id) in \(calibrateData)")
            }
            efficiency = Validator.calibrate(usable, provenance: "measured on \(usable.count) \(engine) rows")
            band = ErrorBand(usable.map { Validator.predict($0.0, $0.1, efficiency) })
        }
        let levels = try BenchCommand.list(concurrency, field: "concurrency") { Int($0) }
        let predictor = PerformanceModel(deployment: deployment, efficiency: efficiency)
        let bound = PerformanceModel(deployment: deployment, efficiency: .speedOfLight)
        let profile = try tier.map { t throws(ConfigError) in try CostProfile.tier(t, gpu: gpu) }
        let calculator = CostCalculator()
        var rows: [[String]] = [["concurrency", "TTFT ms", "TPOT ms (SOL)", "tok/s/user", "out tok/s/GPU", "total tok/s/GPU", "bound", "memory"]
                                + (profile == nil ? [] : ["$/Mtok total"])]
        var output: [JSONValue] = []
        var front: [FrontPoint] = []
        for c in levels where c >= 1 {
            let p = predictor.aggregated(concurrency: c, inputLength: isl, outputLength: osl)
            let sol = bound.aggregated(concurrency: c, inputLength: isl, outputLength: osl)
            let total = p.inputPerGPU + p.outputPerGPU
            let cost = profile.map { calculator.price(Delivery(inputPerGPU: p.inputPerGPU, outputPerGPU: p.outputPerGPU), profile: $0).usdPerMtokTotal }
            var row = [String(c), TerminalTable.number(p.ttftMilliseconds, 1),
                       "\(TerminalTable.number(p.tpotMilliseconds, 2)) (\(TerminalTable.number(sol.tpotMilliseconds, 2)))",
                       TerminalTable.number(p.interactivity, 1), TerminalTable.number(p.outputPerGPU, 1), TerminalTable.number(total, 1), p.bound,
                       p.memory.fits ? "fits" : "does not fit"]
            if let cost { row.append(cost.map { TerminalTable.number($0, 3) } ?? "-") }
            rows.append(row)
            if p.memory.fits { front.append(FrontPoint(interactivity: p.interactivity, throughputPerGPU: total, label: "c=\(c)")) }
            output.append(.object([
                ("concurrency", .number(Double(c))), ("ttft_ms", .number(p.ttftMilliseconds)), ("tpot_ms", .number(p.tpotMilliseconds)),
                ("tpot_ms_speed_of_light", .number(sol.tpotMilliseconds)), ("output_tok_s_gpu", .number(p.outputPerGPU)),
                ("total_tok_s_gpu", .number(total)), ("tok_s_user", .number(p.interactivity)), ("bound", .string(p.bound)),
                ("fits", .bool(p.memory.fits)), ("memory_refusal", p.memory.refusal.map { .string($0) } ?? .null),
            ]))
        }
        if json {
            let bandJSON: JSONValue = band.map { b in
                .object([("rows", .number(Double(b.rows))), ("ttft_median_pct", .number(b.ttftMedianPercent)), ("ttft_p90_pct", .number(b.ttftP90Percent)),
                         ("tpot_median_pct", .number(b.tpotMedianPercent)), ("tpot_p90_pct", .number(b.tpotP90Percent))])
            } ?? .null
            print(JSONValue.object([("model", .string(architecture.id)), ("hardware", .string(gpu.id)), ("layout", .string(layout.description)),
                                    ("efficiency_provenance", .string(efficiency.provenance)), ("error_band", bandJSON),
                                    ("points", .array(output))]).serialized)
            return
        }
        print("\(architecture.name) on \(gpus)× \(gpu.name), \(precisionValue.rawValue), \(layout), ISL \(isl) / OSL \(osl); "
              + "efficiencies: \(efficiency.provenance) (memory \(Int(efficiency.memory * 100))%, compute \(Int(efficiency.compute * 100))%)")
        print(TerminalTable.align(rows))
        if let band {
            func n(_ v: Double) -> String { TerminalTable.number(v, 0) }
            print("error band on the \(band.rows) calibration rows (median / p90 absolute error): TTFT ±\(n(band.ttftMedianPercent))% / "
                  + "±\(n(band.ttftP90Percent))%, TPOT ±\(n(band.tpotMedianPercent))% / ±\(n(band.tpotP90Percent))%")
        } else {
            print("uncalibrated: stated prior efficiencies (pass --calibrate-data CSV --engine E for fitted ones and an error band); "
                  + "the speed-of-light TPOT is the hard lower bound")
        }
        if let refusal = predictor.aggregated(concurrency: levels.min() ?? 1, inputLength: isl, outputLength: osl).memory.refusal {
            print("does not fit: \(refusal)")
        }
        print("Pareto front: " + ParetoFront(front).points.map(\.label).joined(separator: ", "))
        print("note: aggregated serving only; disaggregated, speculative decoding, KV offload and search are not modelled yet. "
              + "Validated error on Hopper data: see docs/perf-model.md.")
    }
}
