import ArgumentParser
import TokenMeterCore
import TokenMeterCost

/// How costs are priced: one profile for everything, or each GPU at a catalog tier.
struct PricingOptions: ParsableArguments {
    @Option(help: "Price with this cost profile YAML file instead of a catalog tier.") var profile: String?
    @Option(help: "Catalog price tier: hyperscaler, neocloud or rental (default \(PricingPolicy.defaultTier)).") var tier: String?
    @Option(help: "Input:output weights of an API card's blended price.") var blend = Blend.standard.description
    @OptionGroup var catalog: CatalogOption

    /// True when a price was asked for by name (commands that price only on request).
    var requested: Bool { profile != nil || tier != nil }

    /// The one pricing policy, with `gpu` as the GPU of runs that recorded none.
    func policy(fallbackGPU: String? = nil) throws(ConfigError) -> PricingPolicy {
        PricingPolicy(profilePath: profile, tier: tier ?? PricingPolicy.defaultTier, fallbackGPU: fallbackGPU, catalogDirectory: catalog.catalog,
                      blend: try Blend(parsing: blend))
    }
}
