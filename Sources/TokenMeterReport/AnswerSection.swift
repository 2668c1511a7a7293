import TokenMeterCore
import TokenMeterCost
import TokenMeterResults

/// The report's opening: for each run, the answer — what a delivered token costs at the point that matters (the highest
/// load that met the objective, else the highest throughput), with tok/s/GPU, tok/s/MW, $ per task or request, and what
/// the price assumed.
enum AnswerSection {
    static func html(_ runs: [ReportRun]) -> String {
        let e = HTMLPage.escape
        var items: [String] = []
        for run in runs {
            guard let (point, why) = answerPoint(run.result) else { continue }
            let m = point.metrics
            var parts = ["\(Format.number(m.outputTokensPerSecondPerGPU, 1)) output tok/s/GPU"]
            let price = run.prices[point.index]
            if let blended = price?.usdPerMtokBlended { parts.insert("<b>\(Format.usd(blended))/Mtok</b>", at: 0) }
            if let power = run.costs[point.index]?.power {
                parts.append("\(Format.number(power.totalTokensPerSecondPerMW, 0)) tok/s/MW (\(e(power.boundary.rawValue)))")
            }
            if let conversation = price?.usdPerConversation {
                parts.append("\(Format.usd(conversation)) per \(e(price?.conversationKind ?? "conversation"))")
            } else if let request = price?.usdPerRequest {
                parts.append("\(Format.usd(request)) per request")
            }
            var item = "<li class=\"answer\" data-run=\"\(e(run.id))\">\(e(run.name)) at \(e(point.label)) (\(e(why))): " + parts.joined(separator: ", ")
            if let price { item += "; priced by \(e(price.source))" }
            if let assumed = run.assumption { item += " <span class=\"note\">(assumed: \(e(assumed)))</span>" }
            items.append(item + "</li>")
        }
        guard !items.isEmpty else { return "" }
        return "<h2>The answer</h2><ul id=\"answer\">" + items.joined() + "</ul>"
    }

    /// The point a run is read at, and why: its search's answer, the highest-throughput point that met the objective, or
    /// its highest-throughput point.
    static func answerPoint(_ result: RunResult) -> (PointResult, String)? {
        let measured = result.points.filter { $0.metrics.requestsSucceeded > 0 }
        if let best = result.search?.bestPoint, let point = measured.first(where: { $0.index == best }) {
            return (point, "the highest load that met the objective")
        }
        let met = measured.filter { $0.metrics.goodput?.passed == true }
        if let point = met.max(by: { $0.metrics.outputTokensPerSecondPerGPU < $1.metrics.outputTokensPerSecondPerGPU }) {
            return (point, "the highest throughput that met the objective")
        }
        return measured.max(by: { $0.metrics.outputTokensPerSecondPerGPU < $1.metrics.outputTokensPerSecondPerGPU }).map { ($0, "the highest throughput") }
    }
}
