import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterCost
import TokenMeterDialects
import TokenMeterReport

/// How `bench` prices every point: a provider's price card for an API, a GPU profile for a self-hosted endpoint, or, with
/// neither, an assumption it says.
struct BenchPriceOptions: ParsableArguments {
    @OptionGroup var pricing: PricingOptions
    @Option(help: "Price with a provider's card: an id such as anthropic/claude-sonnet-4-6 (list them with tokenmeter prices) or a card JSON file.")
    var priceCard: String?

    /// The pricing source of a run against `endpoint` on `gpu` (`--gpu`), checked before any request is sent.
    func source(gpu: String?, gpus: Int, endpoint: EndpointPlan, provider: ProviderPreset?) throws(ConfigError) -> PricingSource {
        let policy = try pricing.policy(fallbackGPU: gpu)
        let cards = try PriceCatalog.load(extraDirectory: pricing.catalog.catalog)
        if let priceCard {
            guard !pricing.requested else {
                throw ConfigError(field: "price-card", message: "give a price card (an API) or a GPU profile (--profile, --tier), not both")
            }
            let card = try cards.card(priceCard)
            try Self.check(card, covers: endpoint)
            return .card(card)
        }
        let pricer = try Pricer(policy)
        if let profile = pricer.sharedProfile { return .profile(profile, assumed: nil) }
        if let gpu {
            switch pricer.profile(forHardware: gpu) {
            case let .success(profile): return .profile(profile, assumed: nil)
            case let .failure(unpriced): throw ConfigError(field: "gpu", message: unpriced.reason)
            }
        }
        if let provider, provider.url != nil, let model = endpoint.model, let card = try? cards.card("\(provider.name)/\(model)") {
            return .card(card)
        }
        guard case let .success(profile) = pricer.profile(forHardware: Pricer.assumedGPU) else {
            throw ConfigError(field: "gpu", message: "the catalog has no \(Pricer.assumedGPU) to assume; pass --gpu, --profile or --price-card")
        }
        return .profile(profile, assumed: "no cost source given: priced as \(gpus) × \(Pricer.assumedGPU.uppercased()) at the \(policy.tier) tier "
            + "(\(Format.usd(GPUHourCost(profile)?.usdPerUsedGPUHour))/GPU-hour); pass --gpu and --tier, --profile, or --price-card for an API")
    }

    /// A card must price what the run will bill: Anthropic cache breakpoints write the cache at their TTL.
    static func check(_ card: PriceCard, covers endpoint: EndpointPlan) throws(ConfigError) {
        guard endpoint.api == .anthropic, let ttl = endpoint.quirks.cacheTTL else { return }
        let price = ttl == "1h" ? (card.cacheWrite1h ?? card.cacheWrite) : (card.cacheWrite5m ?? card.cacheWrite)
        if price == nil {
            throw ConfigError(field: "price-card", message: "\(card.id) has no \(ttl) cache-write price, and --cache-ttl \(ttl) writes the cache; "
                + "pick a card that prices it, or drop --cache-ttl")
        }
    }

    /// Today's date as a card's dates are written.
    static var today: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date())
    }
}
