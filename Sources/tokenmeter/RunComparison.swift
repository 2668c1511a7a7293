import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterCost
import TokenMeterReport
import TokenMeterResults
import TokenMeterStore

/// Several runs and predictions side by side: each one's front, its cost at the chosen interactivity (or at its best
/// throughput) with a 95% interval, the three-metric table with rank inversions, and deltas against the first.
struct RunComparison {
    /// One run or prediction.
    struct Entry {
        var id: String
        var name: String
        var hardware: String?
        var isPrediction: Bool
        var points: [(label: String, delivery: Delivery)]
    }

    /// One entry, priced.
    struct Row {
        var entry: Entry
        var profile: CostProfile
        var operating: String
        var delivery: Delivery
        var cost: PointCost
        var front: [FrontPoint]
    }

    var rows: [Row]
    var interactivity: Double?
    var table: ThreeMetricComparison
    var notes: [String]

    /// Reads runs (`r-…` or any prefix) and predictions (`p-…`) from the store.
    static func load(_ ids: [String], store: any RunStore) async throws -> [Entry] {
        let predictions = try await store.predictions()
        var entries: [Entry] = []
        for id in ids {
            if let p = predictions.first(where: { $0.id == id }) ?? (id.hasPrefix("p-") ? predictions.first { $0.id.hasPrefix(id) } : nil) {
                entries.append(Entry(id: p.id, name: "\(p.id) (predicted \(p.model) on \(p.gpus)× \(p.hardware))", hardware: p.hardware, isPrediction: true,
                                     points: p.points.map { ($0.label, Delivery(inputPerGPU: $0.inputPerGPU, outputPerGPU: $0.outputPerGPU,
                                                                                interactivity: $0.interactivity)) }))
                continue
            }
            let run = try await store.resolve(id)
            let measured = run.result.points.filter { $0.metrics.requestsSucceeded > 0 }
            guard !measured.isEmpty else { throw StoreError("run \(run.metadata.id) has no point with successful requests to compare") }
            entries.append(Entry(id: run.metadata.id,
                                 name: "\(run.metadata.id) (\(run.result.provenance.model)" + (run.metadata.hardware.map { " on \($0)" } ?? "")
                                     + (run.metadata.engine.map { ", \($0)" } ?? "") + ")",
                                 hardware: run.metadata.hardware, isPrediction: false,
                                 points: measured.map { ($0.label, Delivery(metrics: $0.metrics)) }))
        }
        return entries
    }

    init(entries: [Entry], tier: String, profilePath: String?, fallbackGPU: String?, interactivity: Double?) throws {
        let catalog = try HardwareCatalog.load()
        let shared = try profilePath.map { path throws(ConfigError) in try CostProfile.load(path: path, catalog: catalog) }
        let calculator = CostCalculator()
        self.interactivity = interactivity
        var rows: [Row] = []
        var notes: [String] = []
        for entry in entries {
            let profile: CostProfile
            if let shared {
                profile = shared
            } else {
                guard let hardware = entry.hardware ?? fallbackGPU else {
                    throw ConfigError(field: "gpu", message: "\(entry.id) recorded no hardware; pass --gpu ID (or bench --hardware next time) or --profile FILE")
                }
                profile = try CostProfile.tier(tier, gpu: try catalog.gpu(hardware))
            }
            let deliveries = entry.points.map(\.delivery)
            var operating = ""
            var delivery: Delivery
            if let interactivity {
                do throws(ConfigError) {
                    delivery = try ServiceLevelCost.delivery(atInteractivity: interactivity, points: deliveries)
                    operating = "at \(TerminalTable.number(interactivity, 1)) tok/s/user"
                    // Interpolated between points: carry the nearest point's window slices for the interval, scaled.
                    if let nearest = entry.points.min(by: { abs(($0.delivery.interactivity ?? 0) - interactivity) < abs(($1.delivery.interactivity ?? 0) - interactivity) })?.delivery,
                       nearest.totalPerGPU > 0 {
                        let scale = delivery.totalPerGPU / nearest.totalPerGPU
                        delivery.totalSlicesPerGPU = nearest.totalSlicesPerGPU.map { $0 * scale }
                        delivery.outputSlicesPerGPU = nearest.outputSlicesPerGPU.map { $0 * scale }
                    }
                } catch {
                    notes.append("\(entry.id): \(error.message); its best-throughput point is used instead")
                    let best = entry.points.max { $0.delivery.totalPerGPU < $1.delivery.totalPerGPU }!
                    (operating, delivery) = (best.label + " (best throughput)", best.delivery)
                }
            } else {
                let best = entry.points.max { $0.delivery.totalPerGPU < $1.delivery.totalPerGPU }!
                (operating, delivery) = (best.label + " (best throughput)", best.delivery)
            }
            var cost = calculator.price(delivery, profile: profile)
            cost.profile = entry.id
            let front = ParetoFront(entry.points.compactMap { p in
                p.delivery.interactivity.map { FrontPoint(interactivity: $0, throughputPerGPU: p.delivery.outputPerGPU, label: p.label) }
            }).points
            rows.append(Row(entry: entry, profile: profile, operating: operating, delivery: delivery, cost: cost, front: front))
        }
        self.rows = rows
        table = ThreeMetricComparison(rows.map(\.cost))
        if Set(rows.compactMap { $0.profile.power?.boundary }).count > 1 {
            notes.append("power boundaries differ between the profiles: tok/s/MW and J/token are not comparable across them")
        }
        self.notes = notes
    }

    /// Half-width of a cost interval (the wider side, since a cost interval is not symmetric); nil without one.
    static func halfWidth(_ cost: PointCost) -> Double? {
        guard let i = cost.usdPerMtokTotalInterval, let high = i.high, let mid = cost.usdPerMtokTotal else { return nil }
        return max(high - mid, mid - i.low)
    }

    /// The delta of each entry's $/Mtok against the first, with the intervals combined in quadrature.
    func delta(_ row: Row) -> (value: Double, percent: Double, uncertainty: Double?)? {
        guard let base = rows.first, let a = base.cost.usdPerMtokTotal, let b = row.cost.usdPerMtokTotal, a > 0 else { return nil }
        var uncertainty: Double?
        if let ha = Self.halfWidth(base.cost), let hb = Self.halfWidth(row.cost) { uncertainty = (ha * ha + hb * hb).squareRoot() }
        return (b - a, (b - a) / a * 100, uncertainty)
    }

    var text: String {
        func n(_ v: Double?, _ d: Int) -> String { v.map { TerminalTable.number($0, d) } ?? "-" }
        var out: [String] = []
        var main: [[String]] = [["run", "priced as", "operating point", "out tok/s/GPU", "tok/s/user", "$/Mtok", "95% interval", "Δ vs first"]]
        for (i, row) in rows.enumerated() {
            let interval = row.cost.usdPerMtokTotalInterval.map { "\(n($0.low, 3))–\($0.high.map { n($0, 3) } ?? "∞")" } ?? "-"
            var deltaText = i == 0 ? "(baseline)" : "-"
            if i > 0, let d = delta(row) {
                deltaText = "\(d.value >= 0 ? "+" : "")\(n(d.value, 3)) (\(d.percent >= 0 ? "+" : "")\(n(d.percent, 1))%)"
                    + (d.uncertainty.map { " ±\(n($0, 3))" } ?? "")
                if let u = d.uncertainty, abs(d.value) <= u { deltaText += " within noise" }
            }
            main.append([row.entry.name, row.profile.name, row.operating, n(row.delivery.outputPerGPU, 1), n(row.delivery.interactivity, 1),
                         n(row.cost.usdPerMtokTotal, 3), interval, deltaText])
        }
        out.append(TerminalTable.align(main))
        out.append("")
        var three: [[String]] = [["run", "$/GPU-hour", "rank", "peak TFLOP/$", "rank", "$/Mtok", "rank"]]
        for r in table.rows {
            three.append([r.name, n(r.usdPerGPUHour, 2), r.rankByHour.map(String.init) ?? "-", n(r.teraflopPerDollar, 0),
                          r.rankByFLOPS.map(String.init) ?? "-", n(r.usdPerMtok, 3), r.rankByToken.map(String.init) ?? "-"])
        }
        out.append(TerminalTable.align(three))
        out += table.inversions.map { "rank inversion: " + $0 }
        out.append("")
        out.append("fronts (output tok/s/GPU at tok/s/user):")
        for row in rows {
            out.append("  \(row.entry.id): " + row.front.map { "\($0.label) \(n($0.throughputPerGPU, 1)) @ \(n($0.interactivity, 1))" }.joined(separator: ", "))
        }
        for row in rows where row.entry.isPrediction {
            out.append("note: \(row.entry.id) is a prediction: no measured interval")
        }
        out += notes.map { "note: " + $0 }
        return out.joined(separator: "\n")
    }

    var json: JSONValue {
        .object([
            ("at_interactivity", interactivity.map { .number($0) } ?? .null),
            ("entries", .array(rows.map { row in
                let d = delta(row)
                return .object([
                    ("id", .string(row.entry.id)), ("name", .string(row.entry.name)), ("prediction", .bool(row.entry.isPrediction)),
                    ("profile", .string(row.profile.name)), ("operating_point", .string(row.operating)),
                    ("output_tok_s_gpu", .number(row.delivery.outputPerGPU)), ("tok_s_user", row.delivery.interactivity.map { .number($0) } ?? .null),
                    ("usd_per_mtok_total", row.cost.usdPerMtokTotal.map { .number($0) } ?? .null),
                    ("usd_per_mtok_ci95", row.cost.usdPerMtokTotalInterval.map { .array([.number($0.low), $0.high.map { .number($0) } ?? .null]) } ?? .null),
                    ("delta_usd_per_mtok", d.map { .number($0.value) } ?? .null), ("delta_pct", d.map { .number($0.percent) } ?? .null),
                    ("delta_uncertainty", d?.uncertainty.map { .number($0) } ?? .null),
                    ("front", .array(row.front.map { .object([("label", .string($0.label)), ("tok_s_user", .number($0.interactivity)),
                                                              ("output_tok_s_gpu", .number($0.throughputPerGPU))]) })),
                ])
            })),
            ("three_metric", .array(table.rows.map { r in
                .object([("name", .string(r.name)), ("usd_per_gpu_hour", r.usdPerGPUHour.map { .number($0) } ?? .null),
                         ("tflop_per_usd", r.teraflopPerDollar.map { .number($0) } ?? .null), ("usd_per_mtok", r.usdPerMtok.map { .number($0) } ?? .null)])
            })),
            ("inversions", .array(table.inversions.map { .string($0) })), ("notes", .array(notes.map { .string($0) })),
        ])
    }
}
