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
        let hardware = try HardwareCatalog.load(extraDirectory: catalog)
        let profiles = try makeProfiles(hardware)
        let (points, measured) = try deliveries()
        let weights = blend.split(separator: ":").compactMap { Double($0.trimmingWhitespace) }
        guard weights.count == 2, weights.allSatisfy({ $0 >= 0 }), weights.reduce(0, +) > 0 else {
            throw ConfigError(field: "blend", message: "'\(blend)' is not INPUT:OUTPUT weights such as 3:1")
        }
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
                                    calculator: CostCalculator(blendInput: weights[0], blendOutput: weights[1]),
                                    interactivity: atInteractivity, sla: objective, fleetMegawatts: fleetMw, selling: selling)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(CostText.render(report, profiles: profiles, measured: measured))
        }
    }

    func makeProfiles(_ hardware: HardwareCatalog) throws -> [CostProfile] {
        var profiles: [CostProfile] = []
        let entry = try gpu.map { g throws(ConfigError) in try hardware.gpu(g) }
        if let profile { profiles.append(try CostProfile.load(path: profile, catalog: hardware)) }
        for file in compare { profiles.append(try CostProfile.load(path: file, catalog: hardware)) }
        if let tier {
            guard let entry else { throw ConfigError(field: "tier", message: "a tier needs --gpu NAME") }
            profiles.append(try CostProfile.tier(tier, gpu: entry))
        }
        if let usdPerGpuHour { profiles.append(try CostProfile.rental(usdPerGPUHour: usdPerGpuHour, gpu: entry)) }
        guard !profiles.isEmpty else {
            throw ConfigError(field: "profile", message: "no cost given; pass --profile FILE, --gpu NAME --tier TIER, or --usd-per-gpu-hour PRICE")
        }
        for i in profiles.indices {
            if let utilisation {
                guard utilisation > 0, utilisation <= 1 else { throw ConfigError(field: "utilisation", message: "must be in (0, 1]") }
                if case .owned = profiles[i].kind {} else { profiles[i].utilisation = utilisation }
            }
            if let precision {
                guard profiles[i].gpu == nil || profiles[i].gpu?.peakTFLOPSDense[precision.lowercased()] != nil else {
                    throw ConfigError(field: "precision", message: "\(profiles[i].gpu!.id) has no \(precision) peak")
                }
                profiles[i].precision = precision.lowercased()
            }
            if powerKw != nil || powerBoundary != nil {
                guard let kw = powerKw, kw > 0, let name = powerBoundary, let boundary = PowerBoundary(rawValue: name) else {
                    throw ConfigError(field: "power-kw", message: "give --power-kw KW (> 0) with --power-boundary gpu-board-measured, node-measured or provisioned-all-in")
                }
                if case .api = profiles[i].kind {} else { profiles[i].power = PowerSpec(kilowattsPerGPU: kw, boundary: boundary, source: "--power-kw") }
            }
        }
        return profiles
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

/// Text rendering of a cost report.
enum CostText {
    static func render(_ report: CostReport, profiles: [CostProfile], measured: Bool) -> String {
        var out: [String] = []
        func n(_ v: Double?, _ d: Int = 2) -> String { v.map { TerminalTable.number($0, d) } ?? "-" }
        func interval(_ i: CostInterval?) -> String {
            guard let i else { return "-" }
            return "\(n(i.low, 3))–\(i.high.map { n($0, 3) } ?? "∞")"
        }
        for (i, profile) in profiles.enumerated() {
            var line = "profile \(profile.name): "
            if let hour = report.points.first?.costs[i].gpuHour {
                line += "$\(n(hour.usdPerUsedGPUHour)) per used GPU-hour"
                if hour.utilisation < 1 { line += " ($\(n(hour.usdPerWallGPUHour)) per wall hour at \(n(hour.utilisation * 100, 0))% utilisation)" }
                if case let .tier(name, figure) = profile.kind { line += "; \(name) tier from \(figure.source), \(figure.date)" }
            } else if case let .api(card) = profile.kind {
                line += "API card $\(n(card.usdPerMtokInput))/Mtok in, $\(n(card.usdPerMtokOutput))/Mtok out"
            }
            if let power = profile.power { line += "; power \(n(power.kilowattsPerGPU)) kW/GPU \(power.boundary.rawValue)" }
            out.append(line)
            if let hour = report.points.first?.costs[i].gpuHour, hour.breakdown.count > 1 {
                out.append("  iceberg: " + hour.breakdown.map { "\($0.name) $\(n($0.usdPerGPUHour, 3))" }.joined(separator: ", "))
            }
        }
        out.append("")
        var rows: [[String]] = [["point", "profile", "tok/s/GPU in/out", "tok/s/user", "$/Mtok total", "95% interval", "$/Mtok in", "$/Mtok out",
                                 "Mtok/$", "tok/s/MW", "J/tok", "J/tok board", "$/Mtok good"]]
        var all = report.points
        if let at = report.atInteractivity { all.append(at) }
        if let at = report.atSLA { all.append(at) }
        for point in all {
            for cost in point.costs {
                rows.append([
                    point.label, cost.profile, "\(n(point.delivery.inputPerGPU, 1)) / \(n(point.delivery.outputPerGPU, 1))",
                    n(point.delivery.interactivity, 1), n(cost.usdPerMtokTotal, 3), interval(cost.usdPerMtokTotalInterval),
                    n(cost.usdPerMtokInput, 3), n(cost.usdPerMtokOutput, 3), n(cost.tokensPerDollar.map { $0 / 1e6 }, 3),
                    n(cost.power?.totalTokensPerSecondPerMW, 0), n(cost.power?.joulesPerToken, 3),
                    n(cost.measuredPower?.joulesPerToken, 3), n(cost.usdPerMtokGoodOutput, 3),
                ])
            }
        }
        out.append(TerminalTable.align(rows, leftColumns: 2))
        for point in all {
            for cost in point.costs {
                if let m = cost.margin {
                    out.append("\(point.label) \(cost.profile): revenue $\(n(m.revenueUSDPerGPUHour))/GPU-h vs cost $\(n(m.costUSDPerGPUHour)) → gross margin \(m.grossMargin.map { n($0 * 100, 1) + "%" } ?? "none (no revenue)")"
                        + (m.revenueUSDPerMWYear.map { ", $\(n($0 / 1e6, 2))M revenue per MW-year" } ?? ""))
                }
                if cost.wastedOutputFraction > 0 {
                    out.append("\(point.label) \(cost.profile): \(n(cost.wastedOutputFraction * 100, 1))% of streamed output went to failed requests (paid for, not delivered)")
                }
                if let card = cost.usdPerMtokBlendedCard { out.append("\(cost.profile): card blended price $\(n(card, 3))/Mtok") }
            }
        }
        for fleet in report.fleets {
            out.append("fleet: \(n(fleet.megawatts, 1)) MW at \(n(fleet.kilowattsPerGPU)) kW/GPU → \(fleet.gpus) GPUs, \(n(fleet.totalTokensPerSecond, 0)) tok/s "
                + "(\(n(fleet.outputTokensPerSecond, 0)) output)" + (fleet.usersServed.map { ", \(n($0, 0)) users served" } ?? "")
                + (fleet.usdPerHour.map { ", $\(n($0, 0))/hour" } ?? ""))
        }
        if let comparison = report.comparison {
            out.append("")
            var table: [[String]] = [["option", "$/GPU-hour", "rank", "peak TFLOP/$", "rank", "$/Mtok", "rank"]]
            for row in comparison.rows {
                table.append([row.name, n(row.usdPerGPUHour), row.rankByHour.map(String.init) ?? "-", n(row.teraflopPerDollar, 0),
                              row.rankByFLOPS.map(String.init) ?? "-", n(row.usdPerMtok, 3), row.rankByToken.map(String.init) ?? "-"])
            }
            out.append(TerminalTable.align(table))
            out.append(contentsOf: comparison.inversions)
        }
        if !measured { out.append("note: a bare throughput carries no latency; use --result for interactivity, SLA and confidence intervals") }
        out.append(contentsOf: report.notes.map { "note: \($0)" })
        return out.joined(separator: "\n")
    }
}
