import TokenMeterCore
import TokenMeterCost
import TokenMeterModel

/// What every prediction is of: the deployment, the serving options, the efficiencies and why, the lengths, and how it is
/// priced (when it is).
public struct PredictionSummary: Sendable {
    /// The deployment (decode workers' with disaggregated serving).
    public var deployment: Deployment
    /// Speculation, prefix cache, offload.
    public var options: ServingOptions
    /// The efficiencies and their provenance.
    public var efficiency: ChosenEfficiency
    /// Prompt tokens.
    public var inputLength: Int
    /// Output tokens.
    public var outputLength: Int
    /// The pricer and the profile it chose, when a price was asked for.
    public var pricing: (pricer: Pricer, profile: CostProfile)?

    /// Creates a summary.
    public init(deployment: Deployment, options: ServingOptions, efficiency: ChosenEfficiency, inputLength: Int, outputLength: Int,
                pricing: (pricer: Pricer, profile: CostProfile)?) {
        self.deployment = deployment
        self.options = options
        self.efficiency = efficiency
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.pricing = pricing
    }

    /// $/Mtok (input + output) of an operating point, when priced.
    func cost(_ point: OperatingPoint) -> Double? {
        guard let pricing, point.totalPerGPU > 0 else { return nil }
        return pricing.pricer.cost(of: Delivery(point), pricing.profile).usdPerMtokTotal
    }
}

/// One predicted configuration beside its speed-of-light bound.
public struct PredictedRow: Sendable {
    /// `c=64`, `c=64 2P+1D`.
    public var label: String
    /// Users in flight.
    public var concurrency: Int
    /// GPUs it uses.
    public var gpus: Int
    /// The prediction.
    public var point: OperatingPoint
    /// TTFT and TPOT with no losses at all.
    public var speedOfLight: OperatingPoint
    /// What bounds it (`memory`, `compute`, `prefill-limited`).
    public var bound: String
    /// Whether it fits in memory.
    public var fits: Bool
    /// Anything else to know (KV held, KV transfer).
    public var note: String
    /// The same point run through the engine simulator, when asked for: its TTFT and TPOT distributions over the requests.
    public var simulation: EngineSimulation.Outcome?
    /// The simulated point (its TTFT and TPOT are the medians).
    public var simulated: OperatingPoint? { simulation?.point }

    /// Shows a simulation of the same point beside the prediction: its p50, p90 and p99 TTFT and TPOT.
    public mutating func show(_ outcome: EngineSimulation.Outcome) {
        simulation = outcome
    }

    /// Creates a row.
    public init(label: String, concurrency: Int, gpus: Int, point: OperatingPoint, speedOfLight: OperatingPoint, bound: String, fits: Bool,
                note: String) {
        self.label = label
        self.concurrency = concurrency
        self.gpus = gpus
        self.point = point
        self.speedOfLight = speedOfLight
        self.bound = bound
        self.fits = fits
        self.note = note
        simulation = nil
    }
}

/// How `predict` prints: a table with the speed-of-light bound and the error band beside each estimate, or JSON.
public enum PredictText {
    /// `12.3 ±18%` with a band, the bare number without one.
    static func banded(_ v: Double, _ p90: Double?, _ d: Int) -> String {
        p90.map { "\(Format.number(v, d)) ±\(Format.number($0, 0))%" } ?? Format.number(v, d)
    }

    static func header(_ s: PredictionSummary) -> String {
        let d = s.deployment, e = s.efficiency
        return "\(d.model.name) on \(d.hardware.id), \(d.precision.rawValue), ISL \(s.inputLength) / OSL \(s.outputLength); \(s.options.summary)\n"
            + "efficiencies: \(e.description); memory \(Int(e.efficiency.memory * 100))%, compute \(Int(e.efficiency.compute * 100))%, "
            + "step overhead \(Format.number(e.efficiency.fixedMilliseconds, 1)) ms"
    }

    static func bandLine(_ s: PredictionSummary) -> String {
        guard let b = s.efficiency.band else {
            return "uncalibrated: stated priors, no error band (their error on measured Hopper data is in docs/perf-model.md); "
                + "fit one with tokenmeter calibrate. The speed-of-light (SOL) figures are the same serving at the hardware's peaks with no overhead: "
                + "TPOT's is a hard lower bound; a closed loop's TTFT can be a little higher, faster decoding bringing users back to the prompt queue sooner."
        }
        let medians = "median TTFT ±\(Format.number(b.ttftMedianPercent, 0))%, TPOT ±\(Format.number(b.tpotMedianPercent, 0))%"
        if s.efficiency.bandHeldOut {
            return "± is the p90 absolute error of this fit on a GPU it did not see: each of its GPUs' rows predicted with the fit on the "
                + "others (\(b.rows) points, \(medians)). SOL: the speed-of-light bound."
        }
        var line = "± is the p90 absolute error of the fit on its \(b.rows) points (\(medians))"
        if s.efficiency.provenance == "transferred" {
            line += "; transferred from another GPU, so expect more (leave-one-system-out errors: docs/perf-model.md)"
        }
        return line + ". SOL: the speed-of-light bound."
    }

    /// The predicted points as a table, with the band, the memory refusal, the price and the front.
    public static func render(_ s: PredictionSummary, title: String, rows: [PredictedRow], refusal: String?) -> String {
        let band = s.efficiency.band
        let simulated = rows.contains { $0.simulated != nil }
        var table: [[String]] = [["point", "GPUs", "TTFT ms", "SOL", "TPOT ms", "SOL", "tok/s/user", "out tok/s/GPU", "total tok/s/GPU", "bound", "note"]
            + (s.pricing == nil ? [] : ["$/Mtok"]) + (simulated ? simulatedHeadings + ["sim out tok/s/GPU"] : [])]
        for r in rows {
            let p = r.point
            table.append([r.label, String(r.gpus), banded(p.ttftMilliseconds, band?.ttftP90Percent, 1), Format.number(r.speedOfLight.ttftMilliseconds, 1),
                          banded(p.tpotMilliseconds, band?.tpotP90Percent, 2), Format.number(r.speedOfLight.tpotMilliseconds, 2),
                          Format.number(p.interactivity, 1), Format.number(p.outputPerGPU, 1), Format.number(p.totalPerGPU, 1), r.bound,
                          r.fits ? r.note : "does not fit"] + (s.pricing == nil ? [] : [Format.number(s.cost(p), 3)])
                + (simulated ? simulatedCells(r.simulation) + [Format.number(r.simulated?.outputPerGPU, 1)] : []))
        }
        var out = [header(s), title, TerminalTable.align(table), bandLine(s)]
        if let refusal { out.append("does not fit: \(refusal)") }
        if let profile = s.pricing?.profile { out.append("priced with \(profile.name)") }
        if simulated {
            out.append("sim: the same closed loop run through the engine simulator (the reference target's scheduler, these step times, the KV "
                + "cache the memory leaves), p50, p90 and p99 over its requests; where it differs from the estimate, see docs/perf-model.md")
        }
        let front = ParetoFront(rows.filter(\.fits).map { FrontPoint(interactivity: $0.point.interactivity, throughputPerGPU: $0.point.outputPerGPU, label: $0.label) })
        out.append("Pareto front (output tok/s/GPU vs tok/s/user): " + front.points.map(\.label).joined(separator: ", "))
        return out.joined(separator: "\n")
    }

    /// The predicted points as JSON.
    public static func json(_ s: PredictionSummary, title: String, rows: [PredictedRow], refusal: String?) -> String {
        let band = s.efficiency.band
        return JSONValue.object([
            ("model", .string(s.deployment.model.id)), ("hardware", .string(s.deployment.hardware.id)),
            ("precision", .string(s.deployment.precision.rawValue)), ("configuration", .string(title)), ("options", .string(s.options.summary)),
            ("efficiency", efficiencyJSON(s.efficiency)), ("memory_refusal", refusal.map { .string($0) } ?? .null),
            ("points", .array(rows.map { r in
                let p = r.point
                return .object([
                    ("label", .string(r.label)), ("concurrency", .number(Double(r.concurrency))), ("gpus", .number(Double(r.gpus))),
                    ("ttft_ms", .number(p.ttftMilliseconds)), ("tpot_ms", .number(p.tpotMilliseconds)),
                    ("ttft_ms_speed_of_light", .number(r.speedOfLight.ttftMilliseconds)), ("tpot_ms_speed_of_light", .number(r.speedOfLight.tpotMilliseconds)),
                    ("ttft_ms_band", bandJSON(p.ttftMilliseconds, band?.ttftP90Percent)), ("tpot_ms_band", bandJSON(p.tpotMilliseconds, band?.tpotP90Percent)),
                    ("output_tok_s_gpu", .number(p.outputPerGPU)), ("total_tok_s_gpu", .number(p.totalPerGPU)), ("tok_s_user", .number(p.interactivity)),
                    ("bound", .string(r.bound)), ("fits", .bool(r.fits)), ("usd_per_mtok_total", s.cost(p).map { .number($0) } ?? .null),
                    ("simulated", r.simulation.map { o in
                        .object([("ttft_ms", .number(o.point.ttftMilliseconds)), ("tpot_ms", .number(o.point.tpotMilliseconds))]
                            + simulatedFields(o) + [("output_tok_s_gpu", .number(o.point.outputPerGPU))])
                    } ?? .null),
                ])
            })),
        ]).serialized
    }

    /// The headings of a simulation's TTFT and TPOT percentiles.
    static let simulatedHeadings = ["sim TTFT p50 / p90 / p99 ms", "sim TPOT p50 / p90 / p99 ms"]

    /// A simulation's TTFT and TPOT as `p50 / p90 / p99` cells (dashes without one).
    static func simulatedCells(_ o: EngineSimulation.Outcome?) -> [String] {
        [(o?.ttft, 1), (o?.tpot, 2)].map { d, digits in [d?.p50, d?.p90, d?.p99].map { Format.number($0, digits) }.joined(separator: " / ") }
    }

    /// A simulation's TTFT and TPOT percentiles as JSON fields, `ttft_p50_ms` … `tpot_p99_ms`.
    static func simulatedFields(_ o: EngineSimulation.Outcome) -> [(String, JSONValue)] {
        [("ttft", o.ttft), ("tpot", o.tpot)].flatMap { name, d in
            [("p50", d?.p50), ("p90", d?.p90), ("p99", d?.p99)].map { p, v in ("\(name)_\(p)_ms", v.map(JSONValue.number) ?? .null) }
        }
    }

    static func bandJSON(_ v: Double, _ p90: Double?) -> JSONValue {
        guard let p90 else { return .null }
        return .array([.number(v * (1 - p90 / 100)), .number(v * (1 + p90 / 100))])
    }

    /// The efficiencies, their provenance and their error band, as JSON.
    public static func efficiencyJSON(_ c: ChosenEfficiency) -> JSONValue {
        let e = c.efficiency
        return .object([
            ("provenance", .string(c.provenance)), ("description", .string(c.description)), ("memory_efficiency", .number(e.memory)),
            ("compute_efficiency", .number(e.compute)), ("fixed_ms", .number(e.fixedMilliseconds)), ("per_layer_us", .number(e.perLayerMicroseconds)),
            ("prefill_batching", .number(e.prefillBatching)), ("prefill_interference", .number(e.prefillInterference)),
            ("collective_latency_us", .number(e.collectiveLatencyMicroseconds)), ("request_ms", .number(e.requestMilliseconds)),
            ("communication_exposed", .number(e.communication)), ("clients_in_lockstep", .number(e.lockstep)),
            ("simulated_request_ms", e.simulatedRequestMilliseconds.map(JSONValue.number) ?? .null),
            ("error_band", c.band.map { b in
                .object([("points", .number(Double(b.rows))), ("ttft_median_pct", .number(b.ttftMedianPercent)), ("ttft_p90_pct", .number(b.ttftP90Percent)),
                         ("tpot_median_pct", .number(b.tpotMedianPercent)), ("tpot_p90_pct", .number(b.tpotP90Percent)),
                         ("held_out", .bool(c.bandHeldOut))])
            } ?? .null),
        ])
    }
}
