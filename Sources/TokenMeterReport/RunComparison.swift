import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterResults

/// Several runs and predictions side by side: each one's front, its cost at the chosen interactivity (or at its best
/// throughput) with a 95% interval, the three-metric table with rank inversions, and deltas against the first. A run the
/// policy cannot price is shown unpriced, with the reason.
public struct RunComparison: Sendable {
    /// One run or prediction.
    public struct Entry: Sendable {
        /// Run or prediction id.
        public var id: String
        /// Its name in the table.
        public var name: String
        /// The GPU it recorded.
        public var hardware: String?
        /// True for a prediction (no measured interval).
        public var isPrediction: Bool
        /// Its points.
        public var points: [(label: String, delivery: Delivery)]
        /// The prices bench recorded for its points, by label (a card-priced run is compared at its card's price).
        public var recorded: [String: PointPrice] = [:]
    }

    /// One entry, read at its operating point and priced (when it can be).
    public struct Row: Sendable {
        /// The entry.
        public var entry: Entry
        /// Its profile, or why it has none.
        public var profile: Result<CostProfile, Unpriced>
        /// Where on its front it is read, in words.
        public var operating: String
        /// What it delivers there.
        public var delivery: Delivery
        /// What that costs (nil when unpriced).
        public var cost: PointCost?
        /// What priced it, in the table.
        public var pricedAs: String
        /// Its front.
        public var front: [FrontPoint]
    }

    /// The rows, first the baseline.
    public var rows: [Row]
    /// The interactivity every front is read at, if one was asked for.
    public var interactivity: Double?
    /// The three-metric table of the priced rows.
    public var table: ThreeMetricComparison
    /// Things to know.
    public var notes: [String]

    /// Reads runs (`r-…` or any prefix) and predictions (`p-…`) from the store.
    public static func load(_ ids: [String], store: any RunStore) async throws -> [Entry] {
        let predictions = try await store.predictions()
        var entries: [Entry] = []
        for id in ids {
            if let p = predictions.first(where: { $0.id == id }) ?? (id.hasPrefix("p-") ? predictions.first { $0.id.hasPrefix(id) } : nil) {
                entries.append(Entry(id: p.id, name: "\(p.id) (predicted \(p.model) on \(p.gpus)× \(p.hardware))", hardware: p.hardware,
                                     isPrediction: true, points: p.points.map { ($0.label, Delivery($0.point)) }))
                continue
            }
            let run = try await store.resolve(id)
            let measured = run.result.points.filter { $0.metrics.requestsSucceeded > 0 }
            guard !measured.isEmpty else { throw StoreError("run \(run.metadata.id) has no point with successful requests to compare") }
            let m = run.metadata
            entries.append(Entry(id: m.id, name: "\(m.id) (\(run.result.provenance.model)" + (m.hardware.map { " on \($0)" } ?? "")
                                     + (m.engine.map { ", \($0)" } ?? "")
                                     + (run.result.provenance.imported.map { ", measured by \($0.tool)" } ?? "") + ")",
                                 hardware: m.hardware, isPrediction: false, points: measured.map { ($0.label, Delivery(metrics: $0.metrics)) },
                                 recorded: Dictionary(measured.compactMap { p in p.price.map { (p.label, $0) } }, uniquingKeysWith: { a, _ in a })))
        }
        return entries
    }

    /// Prices every entry through `pricer`, each read at `interactivity` (or at its best throughput).
    public init(entries: [Entry], pricer: Pricer, interactivity: Double?) {
        self.interactivity = interactivity
        var notes: [String] = []
        rows = entries.map { entry in
            let chosen = pricer.operatingPoint(entry.points, atInteractivity: interactivity)
            if let note = chosen.note { notes.append("\(entry.id): \(note)") }
            let profile = pricer.profile(forHardware: entry.hardware)
            var cost: PointCost?
            if case let .success(p) = profile {
                cost = pricer.cost(of: chosen.delivery, p)
                cost?.profile = entry.id
            }
            var pricedAs = (try? profile.get())?.name ?? "not priced"
            let label = chosen.label.replacingOccurrences(of: " (best throughput)", with: "")
            if !pricer.overrides, let card = entry.recorded[label], card.kind == "card" {
                // The one pricing path: a run bench priced by a card keeps that card's price here.
                cost = PointCost(recorded: card, inputPerOutput: chosen.delivery.outputPerGPU > 0 ? chosen.delivery.inputPerGPU / chosen.delivery.outputPerGPU : 0)
                cost?.profile = entry.id
                pricedAs = card.source
            } else if case let .failure(unpriced) = profile {
                notes.append("\(entry.id) is not priced: \(unpriced.reason)")
            }
            if !pricer.overrides, entry.hardware == nil, pricedAs != "not priced", let assumed = pricer.assumption(hardware: nil), entry.recorded[label]?.kind != "card" {
                notes.append("\(entry.id): \(assumed)")
            }
            let front = ParetoFront(entry.points.compactMap { p in
                p.delivery.interactivity.map { FrontPoint(interactivity: $0, throughputPerGPU: p.delivery.outputPerGPU, label: p.label) }
            }).points
            return Row(entry: entry, profile: profile, operating: chosen.label, delivery: chosen.delivery, cost: cost, pricedAs: pricedAs, front: front)
        }
        table = ThreeMetricComparison(rows.compactMap(\.cost))
        if let note = Pricer.boundaryNote(rows.compactMap { try? $0.profile.get() }) { notes.append(note) }
        self.notes = notes
    }

    /// Half-width of a cost interval (the wider side, since a cost interval is not symmetric); nil without one.
    static func halfWidth(_ cost: PointCost?) -> Double? {
        guard let cost, let i = cost.usdPerMtokTotalInterval, let high = i.high, let mid = cost.usdPerMtokTotal else { return nil }
        return max(high - mid, mid - i.low)
    }

    /// The delta of an entry's $/Mtok against the first, with the intervals combined in quadrature.
    func delta(_ row: Row) -> (value: Double, percent: Double, uncertainty: Double?)? {
        guard let base = rows.first, let a = base.cost?.usdPerMtokTotal, let b = row.cost?.usdPerMtokTotal, a > 0 else { return nil }
        var uncertainty: Double?
        if let ha = Self.halfWidth(base.cost), let hb = Self.halfWidth(row.cost) { uncertainty = (ha * ha + hb * hb).squareRoot() }
        return (b - a, (b - a) / a * 100, uncertainty)
    }

    /// The delta column of a row.
    func deltaText(_ i: Int) -> String {
        guard i > 0 else { return "(baseline)" }
        guard let d = delta(rows[i]) else { return "-" }
        var text = "\(d.value >= 0 ? "+" : "")\(Format.number(d.value, 3)) (\(d.percent >= 0 ? "+" : "")\(Format.number(d.percent, 1))%)"
            + (d.uncertainty.map { " ±\(Format.number($0, 3))" } ?? "")
        if let u = d.uncertainty, abs(d.value) <= u { text += " within noise" }
        return text
    }

    /// The comparison as text: the main table, the three metrics, each front, the notes.
    public var text: String {
        var main: [[String]] = [["run", "priced as", "operating point", "out tok/s/GPU", "tok/s/user", "$/Mtok", "95% interval", "Δ vs first"]]
        for (i, row) in rows.enumerated() {
            let interval = row.cost?.usdPerMtokTotalInterval
            main.append([row.entry.name, row.pricedAs, row.operating, Format.number(row.delivery.outputPerGPU, 1),
                         Format.number(row.delivery.interactivity, 1), Format.number(row.cost?.usdPerMtokTotal, 3),
                         Format.interval(low: interval?.low, high: interval?.high), deltaText(i)])
        }
        var out = [TerminalTable.align(main), ""]
        out += CostText.comparisonLines(table, option: "run").enumerated().map { $0.offset == 0 ? $0.element : "rank inversion: " + $0.element }
        out += ["", "fronts (output tok/s/GPU at tok/s/user):"]
        for row in rows {
            let points = row.front.map { "\($0.label) \(Format.number($0.throughputPerGPU, 1)) @ \(Format.number($0.interactivity, 1))" }
            out.append("  \(row.entry.id): " + points.joined(separator: ", "))
        }
        out += rows.filter(\.entry.isPrediction).map { "note: \($0.entry.id) is a prediction: no measured interval" }
        out += notes.map { "note: " + $0 }
        return out.joined(separator: "\n")
    }

    /// The comparison as JSON.
    public var json: JSONValue {
        func number(_ v: Double?) -> JSONValue { v.map { .number($0) } ?? .null }
        return .object([
            ("at_interactivity", number(interactivity)),
            ("entries", .array(rows.indices.map { entryJSON($0) })),
            ("three_metric", .array(table.rows.map { r in
                .object([("name", .string(r.name)), ("usd_per_gpu_hour", number(r.usdPerGPUHour)), ("tflop_per_usd", number(r.teraflopPerDollar)),
                         ("usd_per_mtok", number(r.usdPerMtok))])
            })),
            ("inversions", .array(table.inversions.map { .string($0) })), ("notes", .array(notes.map { .string($0) })),
        ])
    }

    func entryJSON(_ i: Int) -> JSONValue {
        func number(_ v: Double?) -> JSONValue { v.map { .number($0) } ?? .null }
        let row = rows[i]
        let d = delta(row)
        let interval = row.cost?.usdPerMtokTotalInterval
        return .object([
            ("id", .string(row.entry.id)), ("name", .string(row.entry.name)), ("prediction", .bool(row.entry.isPrediction)),
            ("profile", (try? row.profile.get()).map { .string($0.name) } ?? .null),
            ("unpriced", row.profile.failureReason.map { .string($0) } ?? .null), ("operating_point", .string(row.operating)),
            ("output_tok_s_gpu", .number(row.delivery.outputPerGPU)), ("tok_s_user", number(row.delivery.interactivity)),
            ("usd_per_mtok_total", number(row.cost?.usdPerMtokTotal)),
            ("usd_per_mtok_ci95", interval.map { .array([.number($0.low), number($0.high)]) } ?? .null),
            ("delta_usd_per_mtok", number(d?.value)), ("delta_pct", number(d?.percent)), ("delta_uncertainty", number(d?.uncertainty)),
            ("front", .array(row.front.map { .object([("label", .string($0.label)), ("tok_s_user", .number($0.interactivity)),
                                                      ("output_tok_s_gpu", .number($0.throughputPerGPU))]) })),
        ])
    }
}

extension Result where Failure == Unpriced {
    /// The reason it is unpriced, when it is.
    var failureReason: String? {
        if case let .failure(unpriced) = self { return unpriced.reason }
        return nil
    }
}
