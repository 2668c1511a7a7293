import TokenMeterCore
import TokenMeterCost
import TokenMeterModel

extension PredictText {
    /// A configuration search: the front, the best configuration meeting the SLO, and what was searched.
    public static func renderSearch(_ s: PredictionSummary, result r: SearchResult, slo: ServiceLevelObjective?, seconds: Double) -> String {
        var out = [header(s)]
        out.append("searched \(r.enumerated) configurations in \(Format.number(seconds * 1000, 0)) ms: \(r.evaluated) predicted from "
            + "\(r.poolPredictions) pool predictions, the others on \(r.rejectedByMemory) layouts that do not fit in memory; "
            + (slo.map { "\(r.meetingSLO) meet the SLO \($0)" } ?? "no SLO given"))
        let simulated = r.front.contains { $0.simulated != nil }
        var rows: [[String]] = [["front configuration", "GPUs", "TTFT ms", "TPOT ms", "tok/s/user", "out tok/s/GPU", "SLO"]
            + (s.pricing == nil ? [] : ["$/Mtok"]) + (simulated ? simulatedHeadings : [])]
        for x in r.front {
            let p = x.point
            rows.append([x.label, String(x.gpus), Format.number(p.ttftMilliseconds, 1), Format.number(p.tpotMilliseconds, 2),
                         Format.number(p.interactivity, 1), Format.number(p.outputPerGPU, 1), slo == nil ? "-" : (x.meetsSLO ? "meets" : "misses")]
                + (s.pricing == nil ? [] : [Format.number(s.cost(p), 3)])
                + (simulated ? simulatedCells(x.simulated) : []))
        }
        out.append(TerminalTable.align(rows))
        if let best = r.best {
            let p = best.point
            out.append(bestHeading(r, slo: slo)
                + "\(best.label): \(Format.number(p.outputPerGPU, 1)) output tok/s/GPU at \(Format.number(p.interactivity, 1)) tok/s/user, "
                + "TTFT \(Format.number(p.ttftMilliseconds, 0)) ms, TPOT \(Format.number(p.tpotMilliseconds, 1)) ms"
                + (s.cost(p).map { ", $\(Format.number($0, 3))/Mtok with \(s.pricing!.profile.name)" } ?? ""))
        } else {
            out.append("no configuration meets the SLO on \(s.deployment.hardware.id); loosen it, allow more GPUs (--max-gpus) or try other hardware")
        }
        out.append((simulated
            ? "the front's configurations were run through the engine scheduler on a virtual clock (disaggregated ones through both pools "
              + "and the KV transfer); their SLO is checked on the simulated percentiles, the others' on predicted medians. "
            : "SLO limits are checked against predicted medians; tails are not modelled (--simulate runs the front). ") + bandLine(s))
        return out.joined(separator: "\n")
    }

    /// What the best configuration is: the most output per GPU, or the best meeting the SLO — by the formula, or the front's
    /// best meeting it simulated when the simulation turned the formula's best down.
    static func bestHeading(_ r: SearchResult, slo: ServiceLevelObjective?) -> String {
        guard slo != nil else { return "most output tok/s per GPU: " }
        guard let down = r.turnedDown else { return "best meeting the SLO: " }
        return "the formula's best, \(down.label), misses the SLO simulated; the front's best meeting it simulated: "
    }

    /// A configuration search as JSON.
    public static func searchJSON(_ s: PredictionSummary, result r: SearchResult, slo: ServiceLevelObjective?, seconds: Double) -> String {
        func config(_ x: SearchedConfiguration) -> JSONValue {
            let p = x.point
            return .object([("mode", .string(x.mode)), ("label", .string(x.label)), ("gpus", .number(Double(x.gpus))),
                            ("concurrency", .number(Double(x.concurrency))), ("ttft_ms", .number(p.ttftMilliseconds)),
                            ("tpot_ms", .number(p.tpotMilliseconds)), ("output_tok_s_gpu", .number(p.outputPerGPU)),
                            ("tok_s_user", .number(p.interactivity)), ("meets_slo", .bool(x.meetsSLO)),
                            ("usd_per_mtok_total", s.cost(p).map { .number($0) } ?? .null),
                            ("simulated", x.simulated.map { .object(simulatedFields($0)) } ?? .null)])
        }
        return JSONValue.object([
            ("model", .string(s.deployment.model.id)), ("hardware", .string(s.deployment.hardware.id)),
            ("efficiency", efficiencyJSON(s.efficiency)), ("slo", slo.map { .string($0.description) } ?? .null),
            ("enumerated", .number(Double(r.enumerated))), ("layouts_rejected_by_memory", .number(Double(r.rejectedByMemory))),
            ("evaluated", .number(Double(r.evaluated))), ("pool_predictions", .number(Double(r.poolPredictions))),
            ("meeting_slo", .number(Double(r.meetingSLO))), ("seconds", .number(seconds)), ("front", .array(r.front.map(config))),
            ("best", r.best.map(config) ?? .null), ("turned_down_by_simulation", r.turnedDown.map(config) ?? .null),
        ]).serialized
    }
}
