import ArgumentParser
import Foundation
import TokenMeterBench
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
            Cost comes from --profile FILE, --gpu NAME with --tier or --usd-per-gpu-hour, or several --compare FILEs.
            """
    )

    @Option(help: "A bare throughput, tokens per second per GPU.") var throughput: Double?
    @Option(help: "With --throughput: the input tokens per second per GPU in it (default 0).") var inputThroughput: Double?
    @Option(help: "A tokenmeter result.json (repeat for repeated runs of the same sweep).") var result: [String] = []
    @Option(help: "A cost profile YAML file.") var profile: String?
    @Option(parsing: .upToNextOption, help: "Several cost profile files to compare side by side.") var compare: [String] = []
    @Option(help: "A catalog GPU (h100, h200, b200, b300, gb200, gb300, mi300x, mi325x, mi355x, or your own).") var gpu: String?
    @Option(help: "A catalog price tier: hyperscaler, neocloud or rental.") var tier: String?
    @Option(help: "A rental price per GPU-hour.") var usdPerGpuHour: Double?
    @Option(help: "Fraction of paid hours that serve traffic (rental and tier).") var utilisation: Double?
    @Option(help: "Precision for FLOPS per dollar: bf16, fp8 or fp4.") var precision: String?
    @Option(help: "Power per GPU in kW (overrides the catalog's all-in figure).") var powerKw: Double?
    @Option(help: "Boundary of --power-kw: gpu-board-measured, node-measured or provisioned-all-in.") var powerBoundary: String?
    @Option(help: "Read the cost at this interactivity (tok/s/user) off the measured front.") var atInteractivity: Double?
    @Option(help: "Throughput and cost at an SLA: ttft_p99=2s,tpot_p99=80ms or an MLPerf preset.") var sla: String?
    @Option(help: "Size a fleet for this many MW of provisioned all-in power.") var fleetMw: Double?
    @Option(help: "Selling price, $/Mtok, for all tokens.") var sellUsdPerMtok: Double?
    @Option(help: "Selling price, $/Mtok, for input tokens.") var sellUsdPerMtokInput: Double?
    @Option(help: "Selling price, $/Mtok, for output tokens.") var sellUsdPerMtokOutput: Double?
    @Option(help: "Input:output weights of a card's blended price.") var blend = "3:1"
    @Option(help: "Disaggregated deployment: prefill GPUs.") var prefillGpus: Int?
    @Option(help: "Disaggregated deployment: decode GPUs.") var decodeGpus: Int?
    @Option(help: "Folder of extra catalog JSON files.") var catalog: String?
    @Flag(help: "Print the report as JSON.") var json = false

    func run() async throws {
        let pricer = try Pricer(PricingPolicy(catalogDirectory: catalog, blend: try Blend(parsing: blend)))
        let named = try pricer.profiles(files: (profile.map { [$0] } ?? []) + compare, gpu: gpu, tier: tier, usdPerGPUHour: usdPerGpuHour)
        let overrides = ProfileOverrides(utilisation: utilisation, precision: precision, powerKilowatts: powerKw, powerBoundary: powerBoundary)
        let profiles = try overrides.apply(to: named)
        let (points, measured) = try deliveries()
        var selling: SellingPrice?
        if sellUsdPerMtok != nil || sellUsdPerMtokInput != nil || sellUsdPerMtokOutput != nil {
            let input = sellUsdPerMtokInput ?? sellUsdPerMtok
            let output = sellUsdPerMtokOutput ?? sellUsdPerMtok
            guard let input, let output, input >= 0, output >= 0 else {
                throw ConfigError(field: "sell-usd-per-mtok", message: "give --sell-usd-per-mtok, or both the -input and -output prices, as non-negative numbers")
            }
            selling = SellingPrice(input: input, output: output)
        }
        let objective = try sla.map { s throws(ConfigError) in try ServiceLevelObjective(presetOrSpec: s) }
        if let atInteractivity, !(atInteractivity > 0) {
            throw ConfigError(field: "at-interactivity", message: "must be a positive number of tokens per second per user")
        }
        let report = try CostReport(profiles: profiles, points: points.map { ($0.0, $0.1, $0.2) },
                                    pricer: pricer,
                                    interactivity: atInteractivity, sla: objective, fleetMegawatts: fleetMw, selling: selling)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(CostText.render(report, profiles: profiles, measured: measured))
        }
    }

    func deliveries() throws -> ([(String, Delivery, PointMetrics?)], Bool) {
        var split: DisaggregatedSplit?
        if prefillGpus != nil || decodeGpus != nil {
            guard let p = prefillGpus, let d = decodeGpus, p >= 1, d >= 1 else {
                throw ConfigError(field: "prefill-gpus", message: "give both --prefill-gpus and --decode-gpus, each at least 1")
            }
            split = DisaggregatedSplit(prefillGPUs: p, decodeGPUs: d)
        }
        if let throughput {
            guard result.isEmpty else { throw ConfigError(field: "throughput", message: "give either --throughput or --result, not both") }
            guard throughput > 0 else { throw ConfigError(field: "throughput", message: "must be a positive number of tokens per second per GPU") }
            let input = inputThroughput ?? 0
            guard input >= 0, input < throughput else {
                throw ConfigError(field: "input-throughput", message: "must be at least 0 and below --throughput")
            }
            return ([("bare", Delivery(inputPerGPU: input, outputPerGPU: throughput - input, split: split), nil)], false)
        }
        guard !result.isEmpty else { throw ConfigError(field: "result", message: "no throughput given; pass --result run.json or --throughput TOK_S_PER_GPU") }
        let runs = try result.map { path in try RunResult.read(path: path) }
        let first = runs[0]
        var out: [(String, Delivery, PointMetrics?)] = []
        for point in first.points {
            var delivery = Delivery(metrics: point.metrics, split: split)
            if let energy = point.energy, energy.measurement.valid { delivery.measuredWattsPerGPU = energy.measurement.meanWattsPerGPU }
            if runs.count > 1 {
                // Repeats: each run's throughput at this point is one sample.
                let same = runs.compactMap { run in run.points.first { $0.label == point.label } }
                guard same.count == runs.count else {
                    throw ConfigError(field: "result", message: "point \(point.label) is missing from some results; repeats must share their sweep")
                }
                let samples = same.map { Delivery(metrics: $0.metrics, split: split) }
                delivery.totalSlicesPerGPU = samples.map(\.totalPerGPU)
                delivery.outputSlicesPerGPU = samples.map(\.outputPerGPU)
                delivery.inputPerGPU = samples.map(\.inputPerGPU).reduce(0, +) / Double(samples.count)
                delivery.outputPerGPU = samples.map(\.outputPerGPU).reduce(0, +) / Double(samples.count)
            }
            out.append((point.label, delivery, point.metrics))
        }
        guard !out.isEmpty else { throw ConfigError(field: "result", message: "\(result[0]) holds no measured points") }
        return (out, true)
    }
}
