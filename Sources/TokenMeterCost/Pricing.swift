import Foundation
import TokenMeterCore

/// Input : output weights of a blended price.
public struct Blend: Sendable, Equatable, CustomStringConvertible {
    /// Weight of input tokens.
    public var input: Double
    /// Weight of output tokens.
    public var output: Double

    /// 3:1, the usual blend of published price cards.
    public static let standard = Blend(input: 3, output: 1)

    /// Creates a blend.
    public init(input: Double, output: Double) {
        self.input = input
        self.output = output
    }

    /// Parses `3:1`.
    public init(parsing text: String) throws(ConfigError) {
        let weights = text.split(separator: ":").compactMap { Double($0.trimmingWhitespace) }
        guard weights.count == 2, weights.allSatisfy({ $0 >= 0 && $0.isFinite }), weights.reduce(0, +) > 0 else {
            throw ConfigError(field: "blend", message: "'\(text)' is not INPUT:OUTPUT weights such as 3:1")
        }
        self.init(input: weights[0], output: weights[1])
    }

    public var description: String { "\(input.formatted(decimals: 2)):\(output.formatted(decimals: 2))" }
}

/// How runs are priced, the same for every command that prices: one cost profile for all (`--profile`), else each run's
/// recorded GPU (or `--gpu` for runs that recorded none) at a catalog tier, with the user's catalog files laid over the
/// built-in one.
public struct PricingPolicy: Sendable, Equatable {
    /// The tier when none is named.
    public static let defaultTier = "hyperscaler"

    /// A cost profile file that prices every run.
    public var profilePath: String?
    /// The catalog tier each run's GPU is priced at.
    public var tier: String
    /// The GPU of runs that recorded none.
    public var fallbackGPU: String?
    /// A folder of extra catalog files.
    public var catalogDirectory: String?
    /// Input : output weights of a card's blended price.
    public var blend: Blend

    /// Creates a policy.
    public init(profilePath: String? = nil, tier: String = defaultTier, fallbackGPU: String? = nil, catalogDirectory: String? = nil,
                blend: Blend = .standard) {
        self.profilePath = profilePath
        self.tier = tier
        self.fallbackGPU = fallbackGPU
        self.catalogDirectory = catalogDirectory
        self.blend = blend
    }
}

/// Why something has no price, in words that say what to do.
public struct Unpriced: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason.
    public var reason: String
    public var description: String { reason }

    /// Creates a reason.
    public init(_ reason: String) { self.reason = reason }
}

/// The one pricing path: every command that shows a cost (cost, report, runs compare, the dashboard, predict) chooses the
/// profile and computes the price here.
public struct Pricer: Sendable {
    /// The policy.
    public let policy: PricingPolicy
    /// The hardware catalog, the user's files included.
    public let catalog: HardwareCatalog
    /// The profile that prices everything, when the policy names one.
    public let sharedProfile: CostProfile?

    /// Loads the catalog and the shared profile once; a bad file or folder is an error here, before anything is priced.
    public init(_ policy: PricingPolicy = PricingPolicy(), environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) {
        self.policy = policy
        let catalog = try HardwareCatalog.load(extraDirectory: policy.catalogDirectory, environment: environment)
        self.catalog = catalog
        sharedProfile = try policy.profilePath.map { path throws(ConfigError) in try CostProfile.load(path: path, catalog: catalog) }
    }

    /// The GPU a run is priced on when neither it nor the user named one: said wherever it is used (`assumption`).
    public static let assumedGPU = "h100"

    /// The profile of a run that recorded `hardware` (nil: none): the shared profile, else the policy's tier of that GPU (or
    /// of the fallback GPU, or of `assumedGPU`); unpriced, with the reason, when the catalog has no such GPU or tier.
    public func profile(forHardware hardware: String?) -> Result<CostProfile, Unpriced> {
        if let sharedProfile { return .success(sharedProfile) }
        let name = hardware ?? policy.fallbackGPU ?? Self.assumedGPU
        do {
            return .success(try CostProfile.tier(policy.tier, gpu: try catalog.gpu(name)))
        } catch {
            return .failure(Unpriced(error.message))
        }
    }

    /// What pricing a run that recorded `hardware` assumes, in words; nil when nothing is assumed.
    public func assumption(hardware: String?) -> String? {
        guard sharedProfile == nil, hardware == nil, policy.fallbackGPU == nil else { return nil }
        return "no GPU recorded or given: priced as \(Self.assumedGPU.uppercased()) at the \(policy.tier) tier (pass --gpu, --tier or --profile)"
    }

    /// True when the user chose how to price (a profile, a GPU, a tier other than the default), overriding what runs recorded.
    public var overrides: Bool { sharedProfile != nil || policy.fallbackGPU != nil || policy.tier != PricingPolicy.defaultTier }

    /// The profiles a user names for `cost`: profile files, a catalog GPU at a tier, a rental price; a GPU alone is priced
    /// at the default tier.
    public func profiles(files: [String], gpu: String?, tier: String?, usdPerGPUHour: Double?) throws(ConfigError) -> [CostProfile] {
        let entry = try gpu.map { g throws(ConfigError) in try catalog.gpu(g) }
        var profiles = try files.map { path throws(ConfigError) in try CostProfile.load(path: path, catalog: catalog) }
        if tier != nil || (entry != nil && files.isEmpty && usdPerGPUHour == nil) {
            guard let entry else { throw ConfigError(field: "tier", message: "a tier needs --gpu NAME") }
            profiles.append(try CostProfile.tier(tier ?? policy.tier, gpu: entry))
        }
        if let usdPerGPUHour { profiles.append(try CostProfile.rental(usdPerGPUHour: usdPerGPUHour, gpu: entry)) }
        guard !profiles.isEmpty else {
            throw ConfigError(field: "profile", message: "no cost given; pass --profile FILE, --gpu NAME --tier TIER, or --usd-per-gpu-hour PRICE")
        }
        return profiles
    }

    /// What a delivery costs under a profile.
    public func cost(of delivery: Delivery, _ profile: CostProfile, selling: SellingPrice? = nil) -> PointCost {
        CostCalculator(blendInput: policy.blend.input, blendOutput: policy.blend.output).price(delivery, profile: profile, selling: selling)
    }

    /// The point a run is read at: its front at `interactivity` when given and covered, else its highest-throughput point
    /// (with a note saying why, when an interactivity was asked for).
    public func operatingPoint(_ points: [(label: String, delivery: Delivery)], atInteractivity interactivity: Double?)
        -> (label: String, delivery: Delivery, note: String?)
    {
        let best = points.max { $0.delivery.totalPerGPU < $1.delivery.totalPerGPU }
        let fallback = (label: (best?.label ?? "-") + " (best throughput)", delivery: best?.delivery ?? Delivery(inputPerGPU: 0, outputPerGPU: 0))
        guard let interactivity else { return (fallback.label, fallback.delivery, nil) }
        do {
            let delivery = try ServiceLevelCost.delivery(atInteractivity: interactivity, points: points.map(\.delivery))
            return ("at \(interactivity.formatted(decimals: 1)) tok/s/user", delivery, nil)
        } catch {
            return (fallback.label, fallback.delivery, "\(error.message); its best-throughput point is used instead")
        }
    }

    /// The note to print when profiles declare different power boundaries (their tok/s/MW and J/token do not compare).
    public static func boundaryNote(_ profiles: [CostProfile]) -> String? {
        let boundaries = Set(profiles.compactMap { $0.power?.boundary })
        guard boundaries.count > 1 else { return nil }
        return "power boundaries differ (\(boundaries.map(\.rawValue).sorted().joined(separator: ", "))): tok/s/MW and J/token are not comparable across them"
    }
}

extension Delivery {
    /// What a predicted or simulated operating point delivers, per GPU.
    public init(_ point: OperatingPoint) {
        self.init(inputPerGPU: point.inputPerGPU, outputPerGPU: point.outputPerGPU, interactivity: point.interactivity)
    }
}
