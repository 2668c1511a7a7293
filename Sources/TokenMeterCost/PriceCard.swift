import Foundation
import TokenMeterCore

/// A provider's prices for one model, USD per 1M tokens, with where they come from and when they hold (PROTOCOLS.md §7.1).
public struct PriceCard: Codable, Sendable, Equatable {
    /// `provider/model`, how a user names it (`--price-card anthropic/claude-sonnet-4-6`).
    public var id: String
    /// Other names for it.
    public var aliases: [String]?
    /// The provider.
    public var provider: String
    /// The provider's model name.
    public var model: String
    /// Uncached input.
    public var input: Double
    /// Input read from the prompt cache; nil: not priced (billed as uncached input, said).
    public var cachedInput: Double?
    /// Cache writes of any TTL (OpenAI's single write price).
    public var cacheWrite: Double?
    /// Cache writes kept five minutes (Anthropic).
    public var cacheWrite5m: Double?
    /// Cache writes kept one hour (Anthropic).
    public var cacheWrite1h: Double?
    /// Output, reasoning included.
    public var output: Double
    /// Reasoning output when it is priced apart (no provider does today; default the output price).
    public var reasoningOutput: Double?
    /// Prices of a request whose input passes a size: every token of it at these rates.
    public var longContext: LongContextPrices?
    /// Multiplier of the batch tier (0.5 typical), for reference.
    public var batchMultiplier: Double?
    /// First day the prices hold (`YYYY-MM-DD`).
    public var effectiveFrom: String?
    /// Last day they hold.
    public var effectiveUntil: String?
    /// When someone last checked them against the source.
    public var verifiedOn: String?
    /// How they were checked: `V` a first-party page, `3P` a third-party one, `U` unconfirmed.
    public var verified: String?
    /// Where they come from.
    public var source: String?
    /// Anything else a reader needs.
    public var notes: String?

    /// Creates a card.
    public init(id: String, provider: String = "custom", model: String = "", input: Double, cachedInput: Double? = nil,
                cacheWrite: Double? = nil, cacheWrite5m: Double? = nil, cacheWrite1h: Double? = nil, output: Double,
                longContext: LongContextPrices? = nil, effectiveFrom: String? = nil, verifiedOn: String? = nil, source: String? = nil) {
        self.id = id
        self.provider = provider
        self.model = model
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.cacheWrite5m = cacheWrite5m
        self.cacheWrite1h = cacheWrite1h
        self.output = output
        self.longContext = longContext
        self.effectiveFrom = effectiveFrom
        self.verifiedOn = verifiedOn
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case id, aliases, provider, model, input, cachedInput = "cached_input", cacheWrite = "cache_write"
        case cacheWrite5m = "cache_write_5m", cacheWrite1h = "cache_write_1h", output, reasoningOutput = "reasoning_output"
        case longContext = "long_context", batchMultiplier = "batch_multiplier", effectiveFrom = "effective_from"
        case effectiveUntil = "effective_until", verifiedOn = "verified_on", verified, source, notes
    }

    /// The prices a request of `inputTokens` pays: the long-context ones past their threshold.
    public func rates(inputTokens: Int) -> TokenRates {
        let base = TokenRates(input: input, cachedInput: cachedInput, cacheWrite5m: cacheWrite5m ?? cacheWrite,
                              cacheWrite1h: cacheWrite1h ?? cacheWrite, output: output, reasoningOutput: reasoningOutput ?? output)
        guard let lc = longContext, inputTokens > lc.thresholdTokens else { return base }
        return TokenRates(input: lc.input, cachedInput: lc.cachedInput ?? base.cachedInput.map { $0 * lc.input / input },
                          cacheWrite5m: lc.cacheWrite5m ?? lc.cacheWrite ?? base.cacheWrite5m.map { $0 * lc.input / input },
                          cacheWrite1h: lc.cacheWrite1h ?? lc.cacheWrite ?? base.cacheWrite1h.map { $0 * lc.input / input },
                          output: lc.output, reasoningOutput: lc.output, longContext: true)
    }

    /// What is wrong with the card's dates on `today` (`YYYY-MM-DD`): undated, not yet in force, or expired; nil when fine.
    public func dateProblem(today: String) -> String? {
        if let until = effectiveUntil, until < today { return "expired on \(until)" }
        if let from = effectiveFrom, from > today { return "in force only from \(from)" }
        if effectiveFrom == nil, verifiedOn == nil { return "undated (no effective_from or verified_on)" }
        return nil
    }

    /// How sure the prices are, in words: unconfirmed or third-party ones are said.
    public var confidence: String? {
        switch verified {
        case "U": "unconfirmed"
        case "3P": "from a third-party source"
        default: nil
        }
    }
}

/// Long-context prices: every token of a request whose input passes `thresholdTokens` (PROTOCOLS.md §7.2).
public struct LongContextPrices: Codable, Sendable, Equatable {
    /// The input size past which they apply (input, cache reads and cache writes together).
    public var thresholdTokens: Int
    public var input: Double
    public var cachedInput: Double?
    public var cacheWrite: Double?
    public var cacheWrite5m: Double?
    public var cacheWrite1h: Double?
    public var output: Double

    /// Creates long-context prices.
    public init(thresholdTokens: Int, input: Double, cachedInput: Double? = nil, output: Double) {
        self.thresholdTokens = thresholdTokens
        self.input = input
        self.cachedInput = cachedInput
        self.output = output
    }

    enum CodingKeys: String, CodingKey {
        case thresholdTokens = "threshold_tokens", input, cachedInput = "cached_input", cacheWrite = "cache_write"
        case cacheWrite5m = "cache_write_5m", cacheWrite1h = "cache_write_1h", output
    }
}

/// The prices one request pays, $ per 1M tokens; nil where the card has no price for that kind.
public struct TokenRates: Sendable, Equatable {
    public var input: Double
    public var cachedInput: Double?
    public var cacheWrite5m: Double?
    public var cacheWrite1h: Double?
    public var output: Double
    public var reasoningOutput: Double
    /// True when these are the long-context prices.
    public var longContext = false
}

/// Every price card: the built-in ones, with the user's files laid over them (a card with the same id replaces the
/// built-in one). User files live in the catalog folders (`--catalog DIR`, `TOKENMETER_CATALOG`) beside GPU files; a price
/// card file is a JSON object with `cards`.
public struct PriceCatalog: Sendable {
    /// Every card.
    public private(set) var cards: [PriceCard]

    struct File: Codable {
        var schema: String?
        var cards: [PriceCard]
    }

    /// The built-in cards and those of the catalog folders.
    public static func load(extraDirectory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigError) -> PriceCatalog
    {
        guard let url = Bundle.module.url(forResource: "price-cards", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            throw ConfigError(field: "price-card", message: "the built-in price cards are missing; reinstall tokenmeter")
        }
        var catalog = PriceCatalog(cards: [])
        try catalog.merge(data, source: "built-in price-cards.json")
        for (path, data) in try CatalogFolders.files(extraDirectory: extraDirectory, environment: environment)
            where CatalogFolders.holds("cards", in: data) {
            try catalog.merge(data, source: path)
        }
        return catalog
    }

    init(cards: [PriceCard]) { self.cards = cards }

    mutating func merge(_ data: Data, source: String) throws(ConfigError) {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw ConfigError(field: "price-card", message: "\(source) is not a price-card file: \(error)")
        }
        for card in file.cards {
            if let i = cards.firstIndex(where: { $0.id == card.id }) { cards[i] = card } else { cards.append(card) }
        }
    }

    /// The card with this id or alias (case-insensitive), or one read from a JSON file at that path.
    public func card(_ name: String) throws(ConfigError) -> PriceCard {
        let key = name.lowercased()
        if let card = cards.first(where: { $0.id.lowercased() == key || ($0.aliases ?? []).map { $0.lowercased() }.contains(key) }) {
            return card
        }
        if name.hasSuffix(".json"), let data = FileManager.default.contents(atPath: name) {
            var single = PriceCatalog(cards: [])
            try single.merge(data, source: name)
            guard single.cards.count == 1 else {
                throw ConfigError(field: "price-card", message: "\(name) holds \(single.cards.count) cards; name one by its id, with the file in --catalog")
            }
            return single.cards[0]
        }
        let near = cards.map(\.id).filter { $0.contains(key.split(separator: "/").last.map(String.init) ?? key) }
        let hint = near.isEmpty ? "list them with `tokenmeter prices`" : "did you mean \(near.prefix(3).joined(separator: ", "))?"
        throw ConfigError(field: "price-card", message: "unknown price card '\(name)'; \(hint) (or pass a card file, or add one to a --catalog folder)")
    }
}

/// The user's catalog folders and their JSON files, shared by the GPU catalog and the price cards (each reads its own).
enum CatalogFolders {
    static func files(extraDirectory: String?, environment: [String: String]) throws(ConfigError) -> [(String, Data)] {
        var out: [(String, Data)] = []
        for directory in [environment["TOKENMETER_CATALOG"], extraDirectory].compactMap({ $0 }) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
                throw ConfigError(field: "catalog", message: "cannot read catalog folder '\(directory)'")
            }
            for name in names.sorted() where name.hasSuffix(".json") {
                let path = (directory as NSString).appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError(field: "catalog", message: "cannot read '\(path)'") }
                out.append((path, data))
            }
        }
        return out
    }

    /// Whether a catalog file's top-level object has this key (`gpus` or `cards`).
    static func holds(_ key: String, in data: Data) -> Bool {
        (try? JSONValue.parse(Array(data)))?[key] != nil
    }
}
