import Foundation
import TokenMeterCore

/// Where a run's prices come from: a provider's price card (an API, billed request by request from its usage), or a cost
/// profile (self-hosted GPUs, whose hours are charged to the tokens they delivered). `assumed` says what the run took when
/// the user named no cost source.
public enum PricingSource: Sendable, Equatable {
    /// A price card.
    case card(PriceCard)
    /// A GPU cost profile.
    case profile(CostProfile, assumed: String?)

    /// The source's name in tables.
    public var name: String {
        switch self {
        case let .card(card): card.id
        case let .profile(profile, _): profile.name
        }
    }
}

/// Prices a measured point: its dollars, $ per million input, output, blended and answer tokens, $ per request and per
/// conversation, and the fallbacks it took. The one function every priced view of a bench point goes through.
public enum PointPricing {
    /// The price of a point from its records (all phases; the measured ones are priced), its conversations and its metrics.
    public static func price(_ source: PricingSource, records: [RequestRecord], conversations: [ConversationRecord], metrics: PointMetrics,
                             blend: Blend = .standard, today: String) -> PointPrice {
        let measured = records.filter { $0.phase == .measured }
        let billed = measured.filter(\.delivered)
        let kind = conversations.first?.kind
        switch source {
        case let .card(card):
            var price = cardPrice(card, billed: billed, conversations: conversations, today: today)
            price.conversationKind = kind
            let unbilled = measured.count - billed.count
            if unbilled > 0 { price.notes.append("\(unbilled) failed requests are not billed") }
            return price
        case let .profile(profile, assumed):
            var price = profilePrice(profile, billed: billed, conversations: conversations, metrics: metrics, blend: blend)
            price.assumed = assumed
            price.conversationKind = kind
            return price
        }
    }

    static func cardPrice(_ card: PriceCard, billed: [RequestRecord], conversations: [ConversationRecord], today: String) -> PointPrice {
        var price = PointPrice(source: card.id, kind: "card")
        var total = PriceBreakdown()
        var byConversation: [Int: Double] = [:]
        var fromCounts = 0, readUnpriced = 0, writeUnpriced = 0, answer = 0
        for record in billed {
            let bill = RequestBill(record, card: card)
            total.add(bill.breakdown)
            if let c = record.conversation { byConversation[c, default: 0] += bill.usd }
            fromCounts += bill.fromCounts ? 1 : 0
            readUnpriced += bill.readUnpriced ? 1 : 0
            writeUnpriced += bill.writeUnpriced ? 1 : 0
            answer += record.answerTokens
        }
        let input = total.uncachedInputTokens + total.cacheReadTokens + total.cacheWrite5mTokens + total.cacheWrite1hTokens
        let inputUSD = total.uncachedInputUSD + total.cacheReadUSD + total.cacheWriteUSD
        price.usdTotal = total.usd
        price.usdPerMtokInput = perMillion(inputUSD, input)
        price.usdPerMtokOutput = perMillion(total.outputUSD, total.outputTokens)
        price.usdPerMtokBlended = perMillion(total.usd, total.tokens)
        price.usdPerMtokAnswer = perMillion(total.usd, answer)
        price.usdPerRequest = billed.isEmpty ? nil : total.usd / Double(billed.count)
        price.usdPerConversation = meanOfCompleted(byConversation, conversations)
        price.breakdown = total
        if fromCounts > 0 { price.notes.append("\(fromCounts) requests had no usage: billed from their planned input and counted output") }
        if readUnpriced > 0 { price.notes.append("\(readUnpriced) requests read the cache, which \(card.id) does not price: billed as uncached input") }
        if writeUnpriced > 0 { price.notes.append("\(writeUnpriced) requests wrote the cache, which \(card.id) does not price: billed as uncached input") }
        let undelivered = billed.reduce(0) { $0 + $1.billedNotDeliveredTokens }
        if undelivered > 0 {
            price.notes.append("\(undelivered) output tokens are billed by usage but never arrived (\(billed.filter(\.usageExceedsStream).count) requests)")
        }
        let unbilled = billed.reduce(0) { $0 + $1.deliveredNotBilledTokens }
        if unbilled > 0 {
            price.notes.append("\(unbilled) output tokens arrived that usage does not bill (\(billed.filter(\.usageBelowStream).count) requests): the price "
                + "is the card's bill, below what was delivered")
        }
        if total.longContextRequests > 0 { price.notes.append("\(total.longContextRequests) requests billed at long-context prices") }
        if let problem = card.dateProblem(today: today) { price.notes.append("the card is \(problem)") }
        if let confidence = card.confidence { price.notes.append("the card's prices are \(confidence)") }
        return price
    }

    static func profilePrice(_ profile: CostProfile, billed: [RequestRecord], conversations: [ConversationRecord], metrics: PointMetrics,
                             blend: Blend) -> PointPrice {
        var price = PointPrice(source: profile.name, kind: "gpu")
        let cost = CostCalculator(blendInput: blend.input, blendOutput: blend.output).price(Delivery(metrics: metrics), profile: profile)
        guard let blended = cost.usdPerMtokTotal else {
            price.notes.append("no tokens were delivered in the window: nothing to charge the GPU-hours to")
            return price
        }
        let perHour = cost.gpuHour?.usdPerUsedGPUHour
        price.usdPerGPUHour = perHour
        price.usdTotal = perHour.map { $0 * Double(metrics.gpus) * metrics.windowSeconds / 3600 }
        price.usdPerMtokInput = cost.usdPerMtokInput
        price.usdPerMtokOutput = cost.usdPerMtokOutput
        price.usdPerMtokBlended = blended
        // The GPU-hours are charged to the tokens the point delivered, so a request costs its tokens at the blended price.
        var byConversation: [Int: Double] = [:]
        var tokens = 0, answer = 0
        for record in billed {
            let n = record.inputTokens + record.outputTokens
            tokens += n
            answer += record.answerTokens
            if let c = record.conversation { byConversation[c, default: 0] += Double(n) * blended / 1e6 }
        }
        price.usdPerMtokAnswer = answer > 0 ? blended * Double(tokens) / Double(answer) : nil
        price.usdPerRequest = billed.isEmpty ? nil : blended * Double(tokens) / 1e6 / Double(billed.count)
        price.usdPerConversation = meanOfCompleted(byConversation, conversations)
        if let perHour {
            price.notes.append("\(DollarText.usd(perHour))/GPU-hour × \(metrics.gpus) GPU(s), charged to the tokens delivered at the measured mix")
        }
        return price
    }

    static func perMillion(_ usd: Double, _ tokens: Int) -> Double? { tokens > 0 ? usd * 1e6 / Double(tokens) : nil }

    /// The mean cost of the measured conversations that completed.
    static func meanOfCompleted(_ costs: [Int: Double], _ conversations: [ConversationRecord]) -> Double? {
        let done = conversations.filter { $0.phase == .measured && $0.completed }.compactMap { costs[$0.id] }
        return done.isEmpty ? nil : done.reduce(0, +) / Double(done.count)
    }
}

/// Dollar amounts in notes.
enum DollarText {
    static func usd(_ v: Double) -> String { "$" + String(format: v < 10 ? "%.2f" : "%.0f", v) }
}
