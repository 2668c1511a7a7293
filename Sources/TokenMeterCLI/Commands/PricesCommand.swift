import ArgumentParser
import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterReport

/// `tokenmeter prices`: the price cards, built-in and the user's, with their dates and sources.
struct PricesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prices",
        abstract: "List the price cards (USD per 1M tokens) or show one, with its dates and source.",
        discussion: """
            Cards come built in (from the providers' pages, each with its source and date) and from JSON files in a catalog \
            folder (--catalog DIR or TOKENMETER_CATALOG): an object with "cards": [...] in the built-in file's shape. A card \
            past its effective_until, not yet in force, or without any date is flagged, as are unconfirmed prices.
            """
    )

    @Argument(help: "A card's id (provider/model) to show in full; none: list them all.") var id: String?
    @Option(help: "Only the cards of this provider.") var provider: String?
    @OptionGroup var catalog: CatalogOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let cards = try PriceCatalog.load(extraDirectory: catalog.catalog)
        let today = BenchPriceOptions.today
        if let id {
            let card = try cards.card(id)
            if output.json { return print(try Self.json(card)) }
            print(Self.describe(card, today: today))
            return
        }
        let shown = cards.cards.filter { provider == nil || $0.provider == provider?.lowercased() }
        guard !shown.isEmpty else { throw ConfigError(field: "provider", message: "no cards of '\(provider ?? "")'; providers: \(Set(cards.cards.map(\.provider)).sorted().joined(separator: ", "))") }
        if output.json { return print(try Self.json(shown)) }
        var rows = [["card", "input", "cache read", "write 5m", "write 1h", "output", "long context", "as of", "flags"]]
        for card in shown {
            let lc = card.longContext.map { ">\($0.thresholdTokens / 1000)K: \(money($0.input))/\(money($0.output))" } ?? ""
            let flags = [card.dateProblem(today: today), card.confidence].compactMap { $0 }.joined(separator: "; ")
            rows.append([card.id, money(card.input), money(card.cachedInput), money(card.cacheWrite5m ?? card.cacheWrite),
                         money(card.cacheWrite1h ?? card.cacheWrite), money(card.output), lc, card.effectiveFrom ?? card.verifiedOn ?? "-", flags])
        }
        print(TerminalTable.align(rows))
        print("USD per 1M tokens; `tokenmeter prices ID` shows a card's source. Price a run with bench --price-card ID.")
    }

    func money(_ v: Double?) -> String { v.map { Format.number($0, abs($0 * 100 - ($0 * 100).rounded()) > 1e-9 ? 3 : 2) } ?? "-" }

    static func describe(_ card: PriceCard, today: String) -> String {
        var lines = ["\(card.id) (\(card.provider), model \(card.model)), USD per 1M tokens"]
        func add(_ name: String, _ v: Double?) { if let v { lines.append("  \(name): \(v)") } }
        add("input", card.input)
        add("cache read", card.cachedInput)
        add("cache write", card.cacheWrite)
        add("cache write 5m", card.cacheWrite5m)
        add("cache write 1h", card.cacheWrite1h)
        add("output (reasoning included)", card.output)
        if let lc = card.longContext {
            lines.append("  past \(lc.thresholdTokens) input tokens, every token of the request: input \(lc.input), output \(lc.output)"
                + (lc.cachedInput.map { ", cache read \($0)" } ?? ""))
        }
        add("batch multiplier", card.batchMultiplier)
        lines.append("  effective from \(card.effectiveFrom ?? "-") until \(card.effectiveUntil ?? "-"); verified \(card.verified ?? "-") on \(card.verifiedOn ?? "-")")
        lines.append("  source: \(card.source ?? "none given")")
        if let notes = card.notes { lines.append("  notes: \(notes)") }
        for flag in [card.dateProblem(today: today), card.confidence].compactMap({ $0 }) { lines.append("  flag: \(flag)") }
        return lines.joined(separator: "\n")
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
