import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel
import TokenMeterReport

/// How `predict` prints: a table with the speed-of-light bound and the error band beside each estimate, or JSON.
enum PredictText {
    struct Point {
        var label: String
        var concurrency: Int
        var gpus: Int
        var ttft: Double
        var tpot: Double
        var solTTFT: Double
        var solTPOT: Double
        var outputPerGPU: Double
        var inputPerGPU: Double
        var bound: String
        var fits: Bool
        var note: String
    }

    static func n(_ v: Double, _ d: Int = 1) -> String { TerminalTable.number(v, d) }

    /// `12.3 ±18%` with a band, the bare number without one.
    static func banded(_ v: Double, _ p90: Double?, _ d: Int) -> String {
        p90.map { "\(n(v, d)) ±\(n($0, 0))%" } ?? n(v, d)
    }

    static func cost(_ profile: CostProfile?, input: Double, output: Double) -> Double? {
        guard let profile, input + output > 0 else { return nil }
        return CostCalculator().price(Delivery(inputPerGPU: input, outputPerGPU: output), profile: profile).usdPerMtokTotal
    }

    static func header(_ s: PredictSetup) -> String {
        let d = s.deployment
        return "\(d.model.name) on \(d.hardware.id), \(d.precision.rawValue), ISL \(s.inputLength) / OSL \(s.outputLength); \(s.options.summary)\n"
            + "efficiencies: \(s.chosen.description); memory \(Int(s.chosen.efficiency.memory * 100))%, compute "
            + "\(Int(s.chosen.efficiency.compute * 100))%, step overhead \(n(s.chosen.efficiency.fixedMilliseconds, 1)) ms"
    }

    static func bandLine(_ s: PredictSetup) -> String {
        guard let b = s.chosen.band else {
            return "uncalibrated: stated priors, no error band (their error on measured Hopper data is in docs/perf-model.md); "
                + "fit one with tokenmeter calibrate. The speed-of-light (SOL) figures are hard lower bounds."
        }
        var line = "± is the p90 absolute error of the fit on its \(b.rows) points (median TTFT ±\(n(b.ttftMedianPercent, 0))%, "
            + "TPOT ±\(n(b.tpotMedianPercent, 0))%)"
        if s.chosen.provenance == "transferred" {
            line += "; transferred from another GPU, so expect more (leave-one-system-out errors: docs/perf-model.md)"
        }
        return line + ". SOL: the speed-of-light bound."
    }

    static func print(setup s: PredictSetup, title: String, points: [Point], refusal: String?, json: Bool) {
        let band = s.chosen.band
        if json {
            Swift.print(JSONValue.object([
                ("model", .string(s.deployment.model.id)), ("hardware", .string(s.deployment.hardware.id)),
                ("precision", .string(s.deployment.precision.rawValue)), ("configuration", .string(title)),
                ("options", .string(s.options.summary)), ("efficiency", efficiencyJSON(s.chosen)),
                ("memory_refusal", refusal.map { .string($0) } ?? .null),
                ("points", .array(points.map { p in
                    let c = cost(s.profile, input: p.inputPerGPU, output: p.outputPerGPU)
                    return .object([
                        ("label", .string(p.label)), ("concurrency", .number(Double(p.concurrency))), ("gpus", .number(Double(p.gpus))),
                        ("ttft_ms", .number(p.ttft)), ("tpot_ms", .number(p.tpot)),
                        ("ttft_ms_speed_of_light", .number(p.solTTFT)), ("tpot_ms_speed_of_light", .number(p.solTPOT)),
                        ("ttft_ms_band", bandJSON(p.ttft, band?.ttftP90Percent)), ("tpot_ms_band", bandJSON(p.tpot, band?.tpotP90Percent)),
                        ("output_tok_s_gpu", .number(p.outputPerGPU)), ("total_tok_s_gpu", .number(p.outputPerGPU + p.inputPerGPU)),
                        ("tok_s_user", .number(1000 / p.tpot)), ("bound", .string(p.bound)), ("fits", .bool(p.fits)),
                        ("usd_per_mtok_total", c.map { .number($0) } ?? .null),
                    ])
                })),
            ]).serialized)
            return
        }
        Swift.print(header(s))
        Swift.print(title)
        var rows: [[String]] = [["point", "GPUs", "TTFT ms", "SOL", "TPOT ms", "SOL", "tok/s/user", "out tok/s/GPU", "total tok/s/GPU", "bound", "note"]
            + (s.profile == nil ? [] : ["$/Mtok"])]
        var front: [FrontPoint] = []
        for p in points {
            var row = [p.label, String(p.gpus), banded(p.ttft, band?.ttftP90Percent, 1), n(p.solTTFT, 1), banded(p.tpot, band?.tpotP90Percent, 2),
                       n(p.solTPOT, 2), n(1000 / p.tpot, 1), n(p.outputPerGPU, 1), n(p.outputPerGPU + p.inputPerGPU, 1), p.bound,
                       p.fits ? p.note : "does not fit"]
            if s.profile != nil { row.append(cost(s.profile, input: p.inputPerGPU, output: p.outputPerGPU).map { n($0, 3) } ?? "-") }
            rows.append(row)
            if p.fits { front.append(FrontPoint(interactivity: 1000 / p.tpot, throughputPerGPU: p.outputPerGPU, label: p.label)) }
        }
        Swift.print(TerminalTable.align(rows))
        Swift.print(bandLine(s))
        if let refusal { Swift.print("does not fit: \(refusal)") }
        if let profile = s.profile { Swift.print("priced with \(profile.name)") }
        Swift.print("Pareto front (output tok/s/GPU vs tok/s/user): " + ParetoFront(front).points.map(\.label).joined(separator: ", "))
    }

    static func printSearch(setup s: PredictSetup, result r: SearchResult, slo: ServiceLevelObjective?, seconds: Double, json: Bool) {
        func c(_ x: SearchedConfiguration) -> Double? { cost(s.profile, input: x.inputPerGPU, output: x.outputPerGPU) }
        if json {
            func config(_ x: SearchedConfiguration) -> JSONValue {
                .object([("mode", .string(x.mode)), ("label", .string(x.label)), ("gpus", .number(Double(x.gpus))),
                         ("concurrency", .number(Double(x.concurrency))), ("ttft_ms", .number(x.ttftMilliseconds)),
                         ("tpot_ms", .number(x.tpotMilliseconds)), ("output_tok_s_gpu", .number(x.outputPerGPU)),
                         ("tok_s_user", .number(x.interactivity)), ("meets_slo", .bool(x.meetsSLO)),
                         ("usd_per_mtok_total", c(x).map { .number($0) } ?? .null)])
            }
            Swift.print(JSONValue.object([
                ("model", .string(s.deployment.model.id)), ("hardware", .string(s.deployment.hardware.id)),
                ("efficiency", efficiencyJSON(s.chosen)), ("slo", slo.map { .string($0.description) } ?? .null),
                ("enumerated", .number(Double(r.enumerated))), ("layouts_rejected_by_memory", .number(Double(r.rejectedByMemory))),
                ("evaluated", .number(Double(r.evaluated))), ("pool_predictions", .number(Double(r.poolPredictions))), ("meeting_slo", .number(Double(r.meetingSLO))),
                ("seconds", .number(seconds)), ("front", .array(r.front.map(config))), ("best", r.best.map(config) ?? .null),
            ]).serialized)
            return
        }
        Swift.print(header(s))
        Swift.print("searched \(r.enumerated) configurations in \(n(seconds * 1000, 0)) ms: \(r.evaluated) predicted from \(r.poolPredictions) "
                    + "pool predictions, the others on \(r.rejectedByMemory) layouts that do not fit in memory; "
                    + (slo.map { "\(r.meetingSLO) meet the SLO \($0)" } ?? "no SLO given"))
        var rows: [[String]] = [["front configuration", "GPUs", "TTFT ms", "TPOT ms", "tok/s/user", "out tok/s/GPU", "SLO"]
            + (s.profile == nil ? [] : ["$/Mtok"])]
        for x in r.front {
            rows.append([x.label, String(x.gpus), n(x.ttftMilliseconds, 1), n(x.tpotMilliseconds, 2), n(x.interactivity, 1), n(x.outputPerGPU, 1),
                         slo == nil ? "-" : (x.meetsSLO ? "meets" : "misses")] + (s.profile == nil ? [] : [c(x).map { n($0, 3) } ?? "-"]))
        }
        Swift.print(TerminalTable.align(rows))
        if let best = r.best {
            Swift.print((slo == nil ? "most output tok/s per GPU: " : "best meeting the SLO: ") + "\(best.label): \(n(best.outputPerGPU, 1)) output tok/s/GPU at \(n(best.interactivity, 1)) tok/s/user, "
                        + "TTFT \(n(best.ttftMilliseconds, 0)) ms, TPOT \(n(best.tpotMilliseconds, 1)) ms"
                        + (c(best).map { ", $\(n($0, 3))/Mtok with \(s.profile!.name)" } ?? ""))
        } else {
            Swift.print("no configuration meets the SLO on \(s.deployment.hardware.id); loosen it, allow more GPUs (--max-gpus) or try other hardware")
        }
        Swift.print("SLO limits are checked against predicted medians; tails are not modelled. " + bandLine(s))
    }

    static func bandJSON(_ v: Double, _ p90: Double?) -> JSONValue {
        guard let p90 else { return .null }
        return .array([.number(v * (1 - p90 / 100)), .number(v * (1 + p90 / 100))])
    }

    static func efficiencyJSON(_ c: ChosenEfficiency) -> JSONValue {
        let e = c.efficiency
        return .object([
            ("provenance", .string(c.provenance)), ("description", .string(c.description)), ("memory_efficiency", .number(e.memory)),
            ("compute_efficiency", .number(e.compute)), ("fixed_ms", .number(e.fixedMilliseconds)), ("per_layer_us", .number(e.perLayerMicroseconds)),
            ("prefill_batching", .number(e.prefillBatching)), ("prefill_interference", .number(e.prefillInterference)),
            ("collective_latency_us", .number(e.collectiveLatencyMicroseconds)),
            ("error_band", c.band.map { b in
                .object([("points", .number(Double(b.rows))), ("ttft_median_pct", .number(b.ttftMedianPercent)), ("ttft_p90_pct", .number(b.ttftP90Percent)),
                         ("tpot_median_pct", .number(b.tpotMedianPercent)), ("tpot_p90_pct", .number(b.tpotP90Percent))])
            } ?? .null),
        ])
    }
}
