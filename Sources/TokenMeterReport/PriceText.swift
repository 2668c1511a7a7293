import TokenMeterCore
import TokenMeterResults

/// What each point cost, for the end of a bench summary: the price, per request, per conversation and per answer token,
/// then what was assumed and the fallbacks, kept short.
enum PriceText {
    static func lines(_ result: RunResult) -> [String] {
        // A search prices its answer, the highest load that met the objective; a sweep prices every point.
        let shown = result.search.map { s in result.points.filter { $0.index == s.bestPoint } } ?? result.points
        let priced = shown.compactMap { point in point.price.map { (point.label, $0) } }
        guard let first = priced.first?.1 else { return [] }
        var out = priced.map { label, price in line(label, price) }
        if let assumed = first.assumed { out.append("assumed: \(assumed)") }
        let notes = Array(Set(priced.flatMap(\.1.notes))).sorted()
        out += notes.prefix(4).map { "price note: \($0)" }
        if notes.count > 4 { out.append("price note: \(notes.count - 4) more in result.json") }
        return out
    }

    static func line(_ label: String, _ p: PointPrice) -> String {
        var parts = ["\(Format.usd(p.usdPerMtokBlended))/Mtok (input \(Format.usd(p.usdPerMtokInput)), output \(Format.usd(p.usdPerMtokOutput)))"]
        if let request = p.usdPerRequest { parts.append("\(Format.usd(request)) per request") }
        if let conversation = p.usdPerConversation { parts.append("\(Format.usd(conversation)) per \(p.conversationKind ?? "conversation")") }
        if let answer = p.usdPerMtokAnswer, answer != p.usdPerMtokBlended { parts.append("\(Format.usd(answer)) per 1M answer tokens") }
        if let cache = p.breakdown, cache.cacheReadTokens + cache.cacheWrite5mTokens + cache.cacheWrite1hTokens > 0 {
            parts.append("cache reads \(Format.usd(cache.cacheReadUSD)), writes \(Format.usd(cache.cacheWriteUSD)) of \(Format.usd(cache.usd))")
        }
        return "\(label) price (\(p.source)): " + parts.joined(separator: ", ")
    }
}
