import ArgumentParser
import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterReport
import TokenMeterResults

/// `tokenmeter cost`: turn delivered throughput into $/Mtok, tok/s/MW, J/token and margin.
struct CostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract: "Price delivered tokens: $/Mtok, tokens per dollar, tok/s/MW, J/token, margin and fleet size.",
        discussion: """
            Throughput comes from --result (a tokenmeter result; repeat it for repeated runs) or a bare --throughput.
            Cost comes from --profile FILE, --gpu NAME (at --tier, default hyperscaler) or --usd-per-gpu-hour, or several
            --compare FILEs.
            """
    )

    @Option(help: "A bare throughput, tokens per second per GPU.") var throughput: Double?
    @Option(help: "With --throughput: the input tokens per second per GPU in it (default 0).") var inputThroughput: Double?
    @OptionGroup var results: ResultOption
    @OptionGroup var pricing: PricingOptions
    @Option(parsing: .upToNextOption, help: "Several cost profile files to compare side by side.") var compare: [String] = []
    @OptionGroup var gpu: GPUOption
    @Option(help: "A rental price per GPU-hour.") var usdPerGpuHour: Double?
    @Option(help: "Fraction of paid hours that serve traffic (rental and tier).") var utilisation: Double?
    @OptionGroup var precision: PrecisionOption
    @Option(help: "Power per GPU in kW (overrides the catalog's all-in figure).") var powerKw: Double?
    @Option(help: "Boundary of --power-kw: gpu-board-measured, node-measured or provisioned-all-in.") var powerBoundary: String?
    @OptionGroup var interactivity: InteractivityOption
    @Option(help: "Throughput and cost at an SLA: ttft_p99=2s,tpot_p99=80ms or an MLPerf preset.") var sla: String?
    @Option(help: "Size a fleet for this many MW of provisioned all-in power.") var fleetMw: Double?
    @Option(help: "Selling price, $/Mtok, for all tokens.") var sellUsdPerMtok: Double?
    @Option(help: "Selling price, $/Mtok, for input tokens.") var sellUsdPerMtokInput: Double?
    @Option(help: "Selling price, $/Mtok, for output tokens.") var sellUsdPerMtokOutput: Double?
    @Option(name: .customLong("prefill-gpus"), help: "Disaggregated deployment: GPUs doing prefill.") var splitPrefillGPUs: Int?
    @Option(name: .customLong("decode-gpus"), help: "Disaggregated deployment: GPUs doing decode.") var splitDecodeGPUs: Int?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let pricer = try Pricer(try pricing.policy())
        let files = (pricing.profile.map { [$0] } ?? []) + compare
        let named = try pricer.profiles(files: files, gpu: gpu.gpu, tier: pricing.tier, usdPerGPUHour: usdPerGpuHour)
        let overrides = ProfileOverrides(utilisation: utilisation, precision: precision.precision, powerKilowatts: powerKw, powerBoundary: powerBoundary)
        let profiles = try overrides.apply(to: named)
        let (points, measured) = try deliveries()
        let objective = try sla.map { s throws(ConfigError) in try ServiceLevelObjective(presetOrSpec: s) }
        let report = try CostReport(profiles: profiles, points: points, pricer: pricer, interactivity: try interactivity.value(), sla: objective,
                                    fleetMegawatts: fleetMw, selling: try selling())
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(CostText.render(report, profiles: profiles, measured: measured))
        }
    }

    /// The selling price, when one was given: a price for all tokens, or one each for input and output.
    func selling() throws(ConfigError) -> SellingPrice? {
        guard sellUsdPerMtok != nil || sellUsdPerMtokInput != nil || sellUsdPerMtokOutput != nil else { return nil }
        guard let input = sellUsdPerMtokInput ?? sellUsdPerMtok, let output = sellUsdPerMtokOutput ?? sellUsdPerMtok, input >= 0, output >= 0 else {
            throw ConfigError(field: "sell-usd-per-mtok", message: "give --sell-usd-per-mtok, or both the -input and -output prices, as non-negative numbers")
        }
        return SellingPrice(input: input, output: output)
    }

    /// The disaggregated split, when both pools were given.
    func split() throws(ConfigError) -> DisaggregatedSplit? {
        guard splitPrefillGPUs != nil || splitDecodeGPUs != nil else { return nil }
        guard let p = splitPrefillGPUs, let d = splitDecodeGPUs, p >= 1, d >= 1 else {
            throw ConfigError(field: "prefill-gpus", message: "give both --prefill-gpus and --decode-gpus, each at least 1")
        }
        return DisaggregatedSplit(prefillGPUs: p, decodeGPUs: d)
    }

    /// What is priced: a bare throughput, or every point of the results (repeats of one sweep as samples); and whether
    /// the points were measured.
    func deliveries() throws -> (points: [(label: String, delivery: Delivery, metrics: PointMetrics?)], measured: Bool) {
        let split = try split()
        if let throughput {
            guard results.result.isEmpty else { throw ConfigError(field: "throughput", message: "give either --throughput or --result, not both") }
            guard throughput > 0 else { throw ConfigError(field: "throughput", message: "must be a positive number of tokens per second per GPU") }
            let input = inputThroughput ?? 0
            guard input >= 0, input < throughput else {
                throw ConfigError(field: "input-throughput", message: "must be at least 0 and below --throughput")
            }
            return ([("bare", Delivery(inputPerGPU: input, outputPerGPU: throughput - input, split: split), nil)], false)
        }
        guard !results.result.isEmpty else {
            throw ConfigError(field: "result", message: "no throughput given; pass --result run.json or --throughput TOK_S_PER_GPU")
        }
        let runs = try results.result.map { path in try RunResult.read(path: path) }
        let out = try runs[0].points.map { point in (point.label, try delivery(point, repeats: runs, split: split), Optional(point.metrics)) }
        guard !out.isEmpty else { throw ConfigError(field: "result", message: "\(results.result[0]) holds no measured points") }
        return (out, true)
    }

    /// A measured point's delivery, with its measured power; over repeated runs, each run's throughput is one sample.
    func delivery(_ point: PointResult, repeats runs: [RunResult], split: DisaggregatedSplit?) throws(ConfigError) -> Delivery {
        var delivery = Delivery(metrics: point.metrics, split: split)
        if let energy = point.energy, energy.measurement.valid { delivery.measuredWattsPerGPU = energy.measurement.meanWattsPerGPU }
        guard runs.count > 1 else { return delivery }
        let same = runs.compactMap { run in run.points.first { $0.label == point.label } }
        guard same.count == runs.count else {
            throw ConfigError(field: "result", message: "point \(point.label) is missing from some results; repeats must share their sweep")
        }
        let samples = same.map { Delivery(metrics: $0.metrics, split: split) }
        delivery.totalSlicesPerGPU = samples.map(\.totalPerGPU)
        delivery.outputSlicesPerGPU = samples.map(\.outputPerGPU)
        delivery.inputPerGPU = samples.map(\.inputPerGPU).reduce(0, +) / Double(samples.count)
        delivery.outputPerGPU = samples.map(\.outputPerGPU).reduce(0, +) / Double(samples.count)
        return delivery
    }
}
