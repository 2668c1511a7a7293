import ArgumentParser
import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel
import TokenMeterReport
import TokenMeterResults
import TokenMeterStore

/// `tokenmeter predict`: serving fronts of a model on hardware from the calibrated roofline model — aggregated or
/// disaggregated, with speculation, prefix caching and KV offload — or a search for the best configuration under an SLO.
struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict TTFT, TPOT, tok/s/GPU and tok/s/user for a model on hardware, or search configurations under an SLO.",
        discussion: """
            Efficiencies come from the calibration store (tokenmeter calibrate): fitted on this GPU, else transferred from a GPU of
            its family, else the stated priors. Every estimate is printed beside its speed-of-light bound and, when calibrated, an
            error band. --disagg without pool flags, or --search, enumerates configurations inside the scale-up domain.
            """
    )

    @OptionGroup var model: ModelOption
    @OptionGroup var gpu: GPUOption
    @OptionGroup var gpus: GPUCountOption
    @OptionGroup var layout: LayoutOptions
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var lengths: LengthOptions
    @OptionGroup var concurrency: ConcurrencyOption
    @OptionGroup var engine: EngineOption
    @Option(help: "Measured CSV to fit efficiencies on now instead of the store (rows of this GPU, --engine and precision).") var calibrateData: String?
    @Flag(help: "Use the stated priors instead of a calibration (the store's, or the built-in fit on the Hopper data).") var priors = false

    @Option(help: "Multi-token prediction: tokens drafted per step by the model's MTP heads.") var mtp: Int?
    @Option(help: "Speculative decoding with a draft model (catalog id or config.json).") var draftModel: String?
    @Option(help: "Tokens the draft model proposes per step.") var draftTokens: Int = 4
    @Option(help: "Acceptance rate of each drafted token (needed with --mtp or --draft-model).") var acceptance: Double?
    @Option(help: "Share of each prompt served from the prefix cache (0 to 1).") var prefixHit: Double = 0
    @Flag(help: "Let KV blocks live in host memory (more sequences, read back over the CPU–GPU link).") var kvOffload = false

    @Flag(help: "Disaggregated prefill/decode serving.") var disagg = false
    @Option(help: "GPUs of one prefill worker (--disagg).") var prefillGpus: Int?
    @Option(help: "Tensor parallel degree of a prefill worker.") var prefillTp: Int?
    @Option(help: "Expert parallel degree of a prefill worker.") var prefillEp: Int?
    @Option(help: "Attention data parallel degree of a prefill worker (the search's `dp` of a prefill layout).") var prefillDp: Int?
    @Option(help: "Prefill workers (--disagg).") var prefillWorkers: Int?
    @Option(help: "Decode workers (--disagg); default: rate-matched to the prefill workers.") var decodeWorkers: Int?

    @Flag(help: "Search layouts, concurrencies and P:D ratios; print the front and the best configuration meeting --slo.") var search = false
    @OptionGroup var slo: SLOOption
    @Option(help: "Most GPUs a searched configuration may use (default: the scale-up domain).") var maxGpus: Int?

    @Flag(help: "Also run each point (with --search: the front's configurations) through the engine simulator (the reference target's scheduler on a virtual clock, the --engine's policy and the serving options; with --disagg both pools and the KV transfer) and show its p50, p90 and p99 beside the estimate.")
    var simulate = false
    @OptionGroup var pricing: PricingOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Keep the predicted points in the run store, to compare with measured runs (tokenmeter runs compare).") var save = false

    func run() async throws {
        let setup = try PredictSetup(self)
        if search || (disagg && prefillWorkers == nil && prefillGpus == nil && prefillTp == nil && prefillDp == nil) {
            if save { throw ConfigError(field: "save", message: "--save keeps a front of explicit configurations; drop --search, or give the pools") }
            if simulate, !search {
                throw ConfigError(field: "simulate", message: "--simulate runs explicit configurations or a search's front; give the prefill pool "
                    + "(--prefill-workers, --prefill-gpus, --prefill-tp or --prefill-dp) or add --search")
            }
            try runSearch(setup)
            return
        }
        let (title, points) = disagg ? try runDisaggregated(setup) : runAggregated(setup)
        if save {
            // Kept with the predictions, the points that fit; runs compare reads them back as operating points.
            let record = PredictionRecord(
                model: setup.deployment.model.id, hardware: setup.deployment.hardware.id, gpus: points.map(\.gpus).max() ?? setup.deployment.parallelism.gpus,
                precision: setup.deployment.precision.rawValue, configuration: "\(title); ISL \(setup.inputLength) / OSL \(setup.outputLength); \(setup.options.summary)",
                provenance: setup.chosen.provenance,
                points: points.filter(\.fits).map {
                    PredictedPoint(label: $0.label, concurrency: $0.concurrency, ttftMilliseconds: $0.point.ttftMilliseconds,
                                   tpotMilliseconds: $0.point.tpotMilliseconds, outputPerGPU: $0.point.outputPerGPU, inputPerGPU: $0.point.inputPerGPU)
                })
            let location = try await RunsCommand.withStore { store in
                try await store.savePrediction(record)
                return store.location
            }
            Terminal.error("kept as prediction \(record.id) in \(location) (tokenmeter runs compare \(record.id) <run id>)")
        }
    }

    func runAggregated(_ s: PredictSetup) -> (String, [PredictedRow]) {
        let isl = s.inputLength, osl = s.outputLength
        let predictor = PerformanceModel(deployment: s.deployment, efficiency: s.chosen.efficiency)
        let bound = PerformanceModel(deployment: s.deployment, efficiency: s.chosen.efficiency.atSpeedOfLight)
        let refusal = predictor.memoryPlan(concurrency: 1, inputLength: isl, outputLength: osl, prefixHitRate: prefixHit).refusal
        let points = s.levels.map { c in
            let p = predictor.aggregated(concurrency: c, inputLength: isl, outputLength: osl, options: s.options)
            let sol = bound.aggregated(concurrency: c, inputLength: isl, outputLength: osl, options: s.options)
            var row = PredictedRow(label: "c=\(c)", concurrency: c, gpus: s.deployment.parallelism.gpus, point: p.point, speedOfLight: sol.point,
                                   bound: p.bound, fits: refusal == nil,
                                   note: p.running < c ? "KV holds \(p.running)" : (p.hostShare > 0 ? "\(Int(p.hostShare * 100))% KV on host" : ""))
            if simulate, refusal == nil {
                // The --engine's own scheduling (vLLM's without one).
                let outcome = predictor.simulateClosedLoop(concurrency: c, inputLength: isl, outputLength: osl,
                                                           policy: SchedulingPolicy(engine: engine.engine ?? ""), options: s.options)
                row.show(outcome)
            }
            return row
        }
        let title = "aggregated, \(s.deployment.parallelism)"
        print(output.json ? PredictText.json(s.summary, title: title, rows: points, refusal: refusal)
              : PredictText.render(s.summary, title: title, rows: points, refusal: refusal))
        return (title, points)
    }

    func runDisaggregated(_ s: PredictSetup) throws -> (String, [PredictedRow]) {
        let isl = s.inputLength, osl = s.outputLength
        let prefillLayout = try s.prefillLayout(self)
        let prefillDeployment = Deployment(model: s.deployment.model, hardware: s.deployment.hardware, precision: s.deployment.precision,
                                           parallelism: prefillLayout)
        func serving(_ e: Efficiency) -> DisaggregatedServing {
            DisaggregatedServing(prefill: PerformanceModel(deployment: prefillDeployment, efficiency: e),
                                 decode: PerformanceModel(deployment: s.deployment, efficiency: e), options: s.options)
        }
        let model = serving(s.chosen.efficiency)
        let bound = serving(s.chosen.efficiency.atSpeedOfLight)
        var points: [PredictedRow] = []
        for c in s.levels {
            // Rate matching: as many prefill workers as the decode workers' demand needs, unless given.
            let nd = decodeWorkers ?? 1
            let np = prefillWorkers ?? model.matchedPrefillWorkers(decodeWorkers: nd, concurrency: c, inputLength: isl, outputLength: osl)
            let p = model.predict(concurrency: c, inputLength: isl, outputLength: osl, prefillWorkers: np, decodeWorkers: nd)
            let sol = bound.predict(concurrency: c, inputLength: isl, outputLength: osl, prefillWorkers: np, decodeWorkers: nd)
            // TTFT's lower bound is one prompt's prefill and transfer at the speed of light (the closed loop's queueing is not).
            let solTTFT = bound.prefillPool(inputLength: isl, batch: 1).singlePromptSeconds + bound.transferSeconds(inputLength: isl, totalGPUs: p.gpus)
            var speedOfLight = sol.point
            speedOfLight.ttftMilliseconds = solTTFT * 1000
            var row = PredictedRow(label: "c=\(c) \(np)P+\(nd)D", concurrency: c, gpus: p.gpus, point: p.point, speedOfLight: speedOfLight,
                                   bound: "\(p.limitedBy)-limited", fits: true, note: "KV transfer \(Format.number(p.transferMilliseconds, 2)) ms")
            if simulate {
                // Both pools on one virtual clock, the --engine's scheduling on the prefill workers.
                let outcome = model.simulateClosedLoop(concurrency: c, inputLength: isl, outputLength: osl, prefillWorkers: np, decodeWorkers: nd,
                                                       policy: SchedulingPolicy(engine: engine.engine ?? ""))
                row.show(outcome)
            }
            points.append(row)
        }
        let refusal = PerformanceModel(deployment: prefillDeployment).memoryPlan(concurrency: 1, inputLength: isl, outputLength: 1).refusal
            ?? PerformanceModel(deployment: s.deployment).memoryPlan(concurrency: 1, inputLength: isl, outputLength: osl).refusal
        let title = "disaggregated, prefill \(prefillLayout), decode \(s.deployment.parallelism)"
        print(output.json ? PredictText.json(s.summary, title: title, rows: points, refusal: refusal)
              : PredictText.render(s.summary, title: title, rows: points, refusal: refusal))
        return (title, points)
    }

    func runSearch(_ s: PredictSetup) throws {
        let slo = try self.slo.objective()
        let limit = { (metric: SLOMetric) in slo?.bounds.filter { $0.metric == metric }.map(\.limitMilliseconds).min() }
        if let maxGpus, maxGpus < 1 { throw ConfigError(field: "max-gpus", message: "--max-gpus must be at least 1") }
        var searcher = ConfigurationSearch(
            model: s.deployment.model, hardware: s.deployment.hardware, precision: s.deployment.precision, efficiency: s.chosen.efficiency,
            options: s.options, inputLength: s.inputLength, outputLength: s.outputLength, ttftLimitMilliseconds: limit(.ttft), tpotLimitMilliseconds: limit(.tpot),
            maxGPUs: maxGpus)
        searcher.aggregated = !disagg || search
        searcher.disaggregated = disagg || search
        if simulate {
            searcher.simulateFront = true
            searcher.policy = SchedulingPolicy(engine: engine.engine ?? "")
            let tightest = { (metric: SLOMetric) in slo?.bounds.filter { $0.metric == metric }.min { $0.limitMilliseconds < $1.limitMilliseconds } }
            searcher.ttftPercentile = tightest(.ttft)?.percentile ?? 50
            searcher.tpotPercentile = tightest(.tpot)?.percentile ?? 50
        }
        let started = ContinuousClock.now
        let result = searcher.run()
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print(output.json ? PredictText.searchJSON(s.summary, result: result, slo: slo, seconds: seconds)
              : PredictText.renderSearch(s.summary, result: result, slo: slo, seconds: seconds))
    }
}
