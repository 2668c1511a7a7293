import TokenMeterCore
import TokenMeterResults

/// A comparison as a terminal table and as an HTML page: the ranking by delivered cost, beside the ranking by what a
/// GPU-hour costs, and where the two disagree.
public enum CompareText {
    /// The ranked table and the disagreement, in words.
    public static func render(_ c: ProviderComparison) -> String {
        var rows = [["rank", "target", "priced by", "$/Mtok", "$/1M answer", "$ per request", "$ per conversation", "out tok/s/GPU", "SLO met",
                     "$/GPU-hour", "rank by $/GPU-hour"]]
        for target in ordered(c) {
            rows.append(cells(target, c))
        }
        var out = [TerminalTable.align(rows, leftColumns: 3)]
        out.append(contentsOf: disagreement(c))
        out.append("\(c.rounds) round(s), targets interleaved in an order rotated each round; means over the rounds"
            + (c.objective.map { "; objective \($0)" } ?? ""))
        return out.joined(separator: "\n")
    }

    /// Targets from the cheapest delivered token, then those without a price.
    static func ordered(_ c: ProviderComparison) -> [ComparedTarget] {
        c.rankingByDeliveredCost.compactMap { name in c.targets.first { $0.name == name } } + c.targets.filter { !c.rankingByDeliveredCost.contains($0.name) }
    }

    static func cells(_ t: ComparedTarget, _ c: ProviderComparison) -> [String] {
        let rank = c.rankingByDeliveredCost.firstIndex(of: t.name).map { String($0 + 1) } ?? "-"
        let hourRank = c.rankingByGPUHour.firstIndex(of: t.name).map { String($0 + 1) } ?? "-"
        let conversation = t.usdPerConversation.map { "\(Format.usd($0)) / \(t.conversationKind ?? "conversation")" } ?? "-"
        return [rank, t.name, t.priceSource, Format.usd(t.usdPerMtokBlended), Format.usd(t.usdPerMtokAnswer), Format.usd(t.usdPerRequest), conversation,
                Format.number(t.outputTokensPerSecondPerGPU, 1), Format.percent(t.sloAttainment, 1), Format.usd(t.usdPerGPUHour), hourRank]
    }

    /// Where the $/GPU-hour ranking and the delivered $/Mtok ranking of the GPU-priced targets disagree.
    static func disagreement(_ c: ProviderComparison) -> [String] {
        let byCost = c.rankingByDeliveredCost.filter { c.rankingByGPUHour.contains($0) }
        guard byCost.count >= 2 else { return [] }
        if byCost == c.rankingByGPUHour { return ["the GPU-priced targets rank the same by $/GPU-hour and by delivered $/Mtok"] }
        return ["the rankings disagree: by $/GPU-hour \(c.rankingByGPUHour.first!) is cheapest, by delivered $/Mtok \(byCost.first!) is "
            + "(\(c.rankingByGPUHour.joined(separator: " < ")) per GPU-hour; \(byCost.joined(separator: " < ")) per delivered token)"]
    }

    /// The comparison as a self-contained HTML page: the answer first, the table, and the two rankings as bars.
    public static func html(_ c: ProviderComparison) -> String {
        let best = ordered(c).first
        var body = "<h1>Providers compared</h1>"
        if let best {
            body += "<p id=\"answer\"><b>\(HTMLPage.escape(best.name))</b> delivers the cheapest tokens: \(Format.usd(best.usdPerMtokBlended))/Mtok"
                + (best.usdPerConversation.map { ", \(Format.usd($0)) per \(best.conversationKind ?? "conversation")" } ?? "")
                + ", \(Format.number(best.outputTokensPerSecondPerGPU, 1)) output tok/s/GPU.</p>"
        }
        for line in disagreement(c) { body += "<p class=\"note\">\(HTMLPage.escape(line))</p>" }
        let header = ["rank", "target", "priced by", "$/Mtok", "$/1M answer", "$ per request", "$ per conversation", "out tok/s/GPU", "SLO met",
                      "$/GPU-hour", "rank by $/GPU-hour"]
        body += HTMLPage.table(id: "ranking", header: header, rows: ordered(c).map { (cells($0, c).map(HTMLPage.escape), "") }, leftColumns: 3)
        let delivered = ordered(c).compactMap { t in t.usdPerMtokBlended.map { (name: t.name, parts: [("$/Mtok delivered", $0)]) } }
        body += SVGStackedBars(id: "delivered-cost", title: "What a delivered token costs", xLabel: "$ per 1M tokens (input and output, measured mix)",
                               bars: delivered, notes: ["lower is better; GPU targets: $/GPU-hour ÷ the tokens they delivered; API targets: their cards"]).render()
        let hours = c.rankingByGPUHour.compactMap { name in c.targets.first { $0.name == name }.flatMap { t in t.usdPerGPUHour.map { (name: t.name, parts: [("$/GPU-hour", $0)]) } } }
        if !hours.isEmpty {
            body += SVGStackedBars(id: "gpu-hour-cost", title: "What a GPU-hour costs (the input view)", xLabel: "$ per used GPU-hour",
                                   bars: hours, notes: ["the ranking buyers start from; the delivered cost above is what they pay per token"]).render()
        }
        body += "<p class=\"note\">\(c.rounds) round(s), targets interleaved in an order rotated each round; means over the rounds"
            + (c.objective.map { "; objective \(HTMLPage.escape($0))" } ?? "") + ".</p>"
        return HTMLPage.document(title: "tokenmeter compare", body: body)
    }
}
