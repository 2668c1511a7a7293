import TokenMeterCore
import TokenMeterResults

/// The answer of a `--find-max` run: the probes, and what the highest load that met the objective delivers and costs.
enum SearchText {
    static func lines(_ result: RunResult) -> [String] {
        guard let search = result.search else { return [] }
        let probes = search.probes.map { p in
            (search.axis == "concurrency" ? "c=\(Int(p.load))" : "\(Format.number(p.load, 2))/s") + (p.passed ? " met" : " missed")
        }
        var out = ["search (\(search.axis)): " + probes.joined(separator: ", ") + "; \(search.stopReason)"]
        guard let best = search.bestPoint.flatMap({ i in result.points.first { $0.index == i } }) else {
            out.append("at the objective: no probe met it")
            return out
        }
        let m = best.metrics
        let objective = m.goodput.map { "\($0.objective)" } ?? "the objective"
        var answer = "at the objective (\(objective)) this endpoint serves \(best.label): \(Format.number(m.outputTokensPerSecondPerGPU, 1)) output "
            + "tok/s/GPU (\(Format.number(m.totalTokensPerSecondPerGPU, 1)) total)"
        if let price = best.price {
            answer += " at \(Format.usd(price.usdPerMtokBlended))/Mtok"
            if let conversation = price.usdPerConversation { answer += ", \(Format.usd(conversation)) per \(price.conversationKind ?? "conversation")" }
            else if let request = price.usdPerRequest { answer += ", \(Format.usd(request)) per request" }
        }
        out.append(answer)
        return out
    }
}
