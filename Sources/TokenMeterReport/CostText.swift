import TokenMeterCore
import TokenMeterCost

/// A cost report as text for a terminal: each profile's assumptions, a table of every priced point, margins, fleets, the
/// three-metric comparison and the notes.
public enum CostText {
    /// The report; `measured` says whether the points carry latencies (a bare throughput does not).
    public static func render(_ report: CostReport, profiles: [CostProfile], measured: Bool) -> String {
        var all = report.points
        if let at = report.atInteractivity { all.append(at) }
        if let at = report.atSLA { all.append(at) }
        var out = profileLines(report, profiles) + [""]
        out.append(pointTable(all))
        out += all.flatMap(pointNotes)
        out += report.fleets.map(fleetLine)
        if let comparison = report.comparison { out += [""] + comparisonLines(comparison) }
        if !measured { out.append("note: a bare throughput carries no latency; use --result for interactivity, SLA and confidence intervals") }
        out += report.notes.map { "note: \($0)" }
        return out.joined(separator: "\n")
    }

    /// One line per profile: its price per used GPU-hour (or its API card), its power, and its cost iceberg.
    static func profileLines(_ report: CostReport, _ profiles: [CostProfile]) -> [String] {
        var out: [String] = []
        for (i, profile) in profiles.enumerated() {
            var line = "profile \(profile.name): "
            let hour = report.points.first?.costs[i].gpuHour
            if let hour {
                line += "$\(Format.number(hour.usdPerUsedGPUHour, 2)) per used GPU-hour"
                if hour.utilisation < 1 {
                    line += " ($\(Format.number(hour.usdPerWallGPUHour, 2)) per wall hour at \(Format.number(hour.utilisation * 100, 0))% utilisation)"
                }
                if case let .tier(name, figure) = profile.kind { line += "; \(name) tier from \(figure.source), \(figure.date)" }
            } else if case let .api(card) = profile.kind {
                line += "API card $\(Format.number(card.usdPerMtokInput, 2))/Mtok in, $\(Format.number(card.usdPerMtokOutput, 2))/Mtok out"
            }
            if let power = profile.power { line += "; power \(Format.number(power.kilowattsPerGPU, 2)) kW/GPU \(power.boundary.rawValue)" }
            out.append(line)
            if let hour, hour.breakdown.count > 1 {
                out.append("  iceberg: " + hour.breakdown.map { "\($0.name) $\(Format.number($0.usdPerGPUHour, 3))" }.joined(separator: ", "))
            }
        }
        return out
    }

    static func pointTable(_ points: [PricedPoint]) -> String {
        var rows: [[String]] = [["point", "profile", "tok/s/GPU in/out", "tok/s/user", "$/Mtok total", "95% interval", "$/Mtok in", "$/Mtok out",
                                 "Mtok/$", "tok/s/MW", "J/tok", "J/tok board", "$/Mtok good"]]
        for point in points {
            for cost in point.costs {
                rows.append([
                    point.label, cost.profile, "\(Format.number(point.delivery.inputPerGPU, 1)) / \(Format.number(point.delivery.outputPerGPU, 1))",
                    Format.number(point.delivery.interactivity, 1), Format.number(cost.usdPerMtokTotal, 3),
                    Format.interval(low: cost.usdPerMtokTotalInterval?.low, high: cost.usdPerMtokTotalInterval?.high),
                    Format.number(cost.usdPerMtokInput, 3), Format.number(cost.usdPerMtokOutput, 3), Format.number(cost.tokensPerDollar.map { $0 / 1e6 }, 3),
                    Format.number(cost.power?.totalTokensPerSecondPerMW, 0), Format.number(cost.power?.joulesPerToken, 3),
                    Format.number(cost.measuredPower?.joulesPerToken, 3), Format.number(cost.usdPerMtokGoodOutput, 3),
                ])
            }
        }
        return TerminalTable.align(rows, leftColumns: 2)
    }

    /// Margins, wasted output and card prices of a point, one line each.
    static func pointNotes(_ point: PricedPoint) -> [String] {
        var out: [String] = []
        for cost in point.costs {
            if let m = cost.margin {
                out.append("\(point.label) \(cost.profile): revenue $\(Format.number(m.revenueUSDPerGPUHour, 2))/GPU-h vs cost "
                    + "$\(Format.number(m.costUSDPerGPUHour, 2)) → gross margin \(m.grossMargin.map { Format.number($0 * 100, 1) + "%" } ?? "none (no revenue)")"
                    + (m.revenueUSDPerMWYear.map { ", $\(Format.number($0 / 1e6, 2))M revenue per MW-year" } ?? ""))
            }
            if cost.wastedOutputFraction > 0 {
                out.append("\(point.label) \(cost.profile): \(Format.number(cost.wastedOutputFraction * 100, 1))% of streamed output went to failed "
                    + "requests (paid for, not delivered)")
            }
            if let card = cost.usdPerMtokBlendedCard { out.append("\(cost.profile): card blended price $\(Format.number(card, 3))/Mtok") }
        }
        return out
    }

    static func fleetLine(_ fleet: FleetSizing) -> String {
        "fleet: \(Format.number(fleet.megawatts, 1)) MW at \(Format.number(fleet.kilowattsPerGPU, 2)) kW/GPU → \(fleet.gpus) GPUs, "
            + "\(Format.number(fleet.totalTokensPerSecond, 0)) tok/s (\(Format.number(fleet.outputTokensPerSecond, 0)) output)"
            + (fleet.usersServed.map { ", \(Format.number($0, 0)) users served" } ?? "") + (fleet.usdPerHour.map { ", $\(Format.number($0, 0))/hour" } ?? "")
    }

    /// The three metrics, each ranked, and the rank inversions between them; `option` heads the first column.
    public static func comparisonLines(_ comparison: ThreeMetricComparison, option: String = "option") -> [String] {
        var table: [[String]] = [[option, "$/GPU-hour", "rank", "peak TFLOP/$", "rank", "$/Mtok", "rank"]]
        for row in comparison.rows {
            table.append([row.name, Format.number(row.usdPerGPUHour, 2), row.rankByHour.map(String.init) ?? "-", Format.number(row.teraflopPerDollar, 0),
                          row.rankByFLOPS.map(String.init) ?? "-", Format.number(row.usdPerMtok, 3), row.rankByToken.map(String.init) ?? "-"])
        }
        return [TerminalTable.align(table)] + comparison.inversions
    }
}
