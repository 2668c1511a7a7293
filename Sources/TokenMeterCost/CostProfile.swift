import Foundation
import TokenMeterCore

/// An API price card: what a provider charges per million tokens.
public struct APIPriceCard: Codable, Sendable, Equatable {
    /// $/Mtok of input tokens.
    public var usdPerMtokInput: Double
    /// $/Mtok of output tokens.
    public var usdPerMtokOutput: Double
    /// $/Mtok of input tokens served from the provider's prompt cache (defaults to the input price).
    public var usdPerMtokCachedInput: Double
    /// $/Mtok of reasoning output tokens (defaults to the output price).
    public var usdPerMtokReasoningOutput: Double

    /// Creates a card.
    public init(input: Double, output: Double, cachedInput: Double? = nil, reasoningOutput: Double? = nil) {
        usdPerMtokInput = input
        usdPerMtokOutput = output
        usdPerMtokCachedInput = cachedInput ?? input
        usdPerMtokReasoningOutput = reasoningOutput ?? output
    }

    /// The card's blended price at `inputWeight : outputWeight` (3:1 by convention).
    public func blended(inputWeight: Double = 3, outputWeight: Double = 1) -> Double {
        (inputWeight * usdPerMtokInput + outputWeight * usdPerMtokOutput) / (inputWeight + outputWeight)
    }

    enum CodingKeys: String, CodingKey {
        case usdPerMtokInput = "usd_per_mtok_input", usdPerMtokOutput = "usd_per_mtok_output"
        case usdPerMtokCachedInput = "usd_per_mtok_cached_input", usdPerMtokReasoningOutput = "usd_per_mtok_reasoning_output"
    }
}

/// Bottom-up ownership of a GPU: capital, power, hosting, software, staff and how much of the time it works.
public struct OwnedHardware: Codable, Sendable, Equatable {
    /// GPUs in one server.
    public var gpusPerServer: Int
    /// Purchase price of one GPU.
    public var capexUSDPerGPU: Double
    /// Server chassis, CPUs, memory and storage, excluding GPUs.
    public var capexUSDPerServer: Double
    /// The server's share of the network (NICs, switches, optics, cables).
    public var networkUSDPerServer: Double
    /// Value left at the end of the economic life, as a fraction of capex.
    public var residualFraction: Double
    /// Economic life in years.
    public var lifeYears: Double
    /// Cost of capital per year (discount rate).
    public var costOfCapital: Double
    /// Power per GPU at its declared boundary.
    public var power: PowerSpec
    /// Extra host power per GPU to add when `power` is board-measured.
    public var hostKilowattsPerGPU: Double
    /// Power usage effectiveness of the facility (≥ 1).
    public var pue: Double
    /// Energy price, $/kWh.
    public var usdPerKilowattHour: Double
    /// Power drawn when idle, as a fraction of `power`.
    public var idlePowerFraction: Double
    /// Colocation / hosting, $ per kW of IT load per month.
    public var hostingUSDPerKilowattMonth: Double
    /// Software licences per GPU per year.
    public var softwareUSDPerGPUYear: Double
    /// Operations staff per GPU per year.
    public var operationsUSDPerGPUYear: Double
    /// Load per hour of day (24 values in 0…1); its mean is the utilisation.
    public var loadSchedule: [Double]

    enum CodingKeys: String, CodingKey {
        case gpusPerServer = "gpus_per_server", capexUSDPerGPU = "capex_usd_per_gpu", capexUSDPerServer = "capex_usd_per_server"
        case networkUSDPerServer = "network_usd_per_server", residualFraction = "residual_fraction", lifeYears = "life_years"
        case costOfCapital = "cost_of_capital", power, hostKilowattsPerGPU = "host_kw_per_gpu", pue, usdPerKilowattHour = "usd_per_kwh"
        case idlePowerFraction = "idle_power_fraction", hostingUSDPerKilowattMonth = "hosting_usd_per_kw_month"
        case softwareUSDPerGPUYear = "software_usd_per_gpu_year", operationsUSDPerGPUYear = "operations_usd_per_gpu_year"
        case loadSchedule = "load_schedule"
    }
}

/// What a GPU-hour (or a token) costs, in one of four forms.
public enum CostKind: Sendable, Equatable {
    /// A rented GPU at a fixed $/GPU-hour.
    case rental(usdPerGPUHour: Double)
    /// A catalog tier (hyperscaler, neocloud, rental) of a GPU.
    case tier(name: String, usdPerGPUHour: Figure)
    /// Owned hardware, priced bottom-up.
    case owned(OwnedHardware)
    /// A provider's API price card.
    case api(APIPriceCard)
}

/// A named cost profile: the cost form, the GPU it is for, its power and its utilisation.
public struct CostProfile: Sendable, Equatable {
    /// Label used in tables.
    public var name: String
    /// The cost form.
    public var kind: CostKind
    /// The GPU, when the profile is for hardware.
    public var gpu: GPUEntry?
    /// Power per GPU; defaults to the catalog's provisioned all-in figure.
    public var power: PowerSpec?
    /// Fraction of paid hours that serve traffic (rental and tier; owned profiles use their load schedule).
    public var utilisation: Double
    /// Precision the GPU runs at, for FLOPS per dollar (`bf16`, `fp8`, `fp4`).
    public var precision: String

    /// Creates a profile.
    public init(name: String, kind: CostKind, gpu: GPUEntry? = nil, power: PowerSpec? = nil, utilisation: Double = 1, precision: String = "fp8") {
        self.name = name
        self.kind = kind
        self.gpu = gpu
        self.power = power
        self.utilisation = utilisation
        self.precision = precision
    }

    /// The catalog's all-in power of a GPU, at the provisioned-all-in boundary.
    static func catalogPower(_ gpu: GPUEntry?) -> PowerSpec? {
        guard let figure = gpu?.allInKilowatts else { return nil }
        return PowerSpec(kilowattsPerGPU: figure.value, boundary: .provisionedAllIn, source: figure.source)
    }

    /// A catalog tier of a GPU (`--gpu h200 --tier hyperscaler`).
    public static func tier(_ tier: String, gpu: GPUEntry) throws(ConfigError) -> CostProfile {
        guard let price = gpu.usdPerGPUHour[tier.lowercased()] else {
            throw ConfigError(field: "tier", message: "no '\(tier)' price for \(gpu.id); known tiers: \(gpu.usdPerGPUHour.keys.sorted().joined(separator: ", "))")
        }
        return CostProfile(name: "\(gpu.id)-\(tier.lowercased())", kind: .tier(name: tier.lowercased(), usdPerGPUHour: price), gpu: gpu,
                           power: catalogPower(gpu))
    }

    /// A rented GPU at a given price (`--usd-per-gpu-hour 2.10`).
    public static func rental(usdPerGPUHour: Double, gpu: GPUEntry?) throws(ConfigError) -> CostProfile {
        guard usdPerGPUHour > 0, usdPerGPUHour.isFinite else {
            throw ConfigError(field: "usd-per-gpu-hour", message: "must be a positive price, got \(usdPerGPUHour)")
        }
        return CostProfile(name: "\(gpu?.id ?? "gpu")-$\(usdPerGPUHour)/h", kind: .rental(usdPerGPUHour: usdPerGPUHour), gpu: gpu,
                           power: catalogPower(gpu))
    }

    /// Reads a profile file, naming any bad field.
    public static func load(path: String, catalog: HardwareCatalog) throws(ConfigError) -> CostProfile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "profile", message: "cannot read '\(path)'; check the path")
        }
        let fallback = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try parse(yaml: String(decoding: data, as: UTF8.self), source: path, defaultName: fallback, catalog: catalog)
    }

    /// Parses a profile from YAML.
    public static func parse(yaml: String, source: String = "profile", defaultName: String = "profile", catalog: HardwareCatalog)
        throws(ConfigError) -> CostProfile
    {
        let node = try YAMLDocument.load(yaml, source: source, rootField: "profile")
        guard let map = node as? [String: Any] else {
            throw ConfigError(field: "profile", message: "\(source) must be a mapping with a 'kind' (rental, tier, owned or api)")
        }
        let f = YAMLFields(map: map, source: source)
        let kindName = try f.requiredString("kind")
        let name = try f.string("name") ?? defaultName
        let common: Set<String> = ["kind", "name", "gpu", "power", "utilisation", "precision"]
        let gpu = try f.string("gpu").map { g throws(ConfigError) in try catalog.gpu(g) }
        let precision = try f.string("precision")?.lowercased() ?? "fp8"
        let utilisation = try f.number("utilisation", in: 0.001...1, why: " (a fraction of hours)") ?? 1
        var power = try f.mapping("power").map { p throws(ConfigError) in try parsePower(p) } ?? catalogPower(gpu)
        let kind: CostKind
        switch kindName {
        case "rental":
            try f.rejectUnknown(common.union(["usd_per_gpu_hour"]))
            kind = .rental(usdPerGPUHour: try f.requiredNumber("usd_per_gpu_hour", in: 0.0001...10_000))
        case "tier":
            try f.rejectUnknown(common.union(["tier"]))
            guard let gpu else { throw ConfigError(field: "gpu", message: "a tier profile needs a catalog gpu in \(source)") }
            let tier = try f.requiredString("tier")
            guard case let .tier(n, price) = try CostProfile.tier(tier, gpu: gpu).kind else { fatalError("tier() returns a tier") }
            kind = .tier(name: n, usdPerGPUHour: price)
        case "owned":
            guard let ownedPower = power else {
                throw ConfigError(field: "power", message: "an owned profile needs power (kw_per_gpu, boundary) or a catalog gpu in \(source)")
            }
            kind = .owned(try parseOwned(f, known: common, power: ownedPower, utilisation: utilisation))
        case "api":
            try f.rejectUnknown(["kind", "name", "usd_per_mtok_input", "usd_per_mtok_output", "usd_per_mtok_cached_input",
                                 "usd_per_mtok_reasoning_output"])
            kind = .api(APIPriceCard(
                input: try f.requiredNumber("usd_per_mtok_input", in: 0...100_000),
                output: try f.requiredNumber("usd_per_mtok_output", in: 0...100_000),
                cachedInput: try f.number("usd_per_mtok_cached_input", in: 0...100_000),
                reasoningOutput: try f.number("usd_per_mtok_reasoning_output", in: 0...100_000)))
            power = nil
        default:
            throw ConfigError(field: "kind", message: "'\(kindName)' is not rental, tier, owned or api in \(source)")
        }
        if let gpu, gpu.peakTFLOPSDense[precision] == nil, map["precision"] != nil {
            throw ConfigError(field: "precision", message: "\(gpu.id) has no \(precision) peak; known: \(gpu.peakTFLOPSDense.keys.sorted().joined(separator: ", "))")
        }
        return CostProfile(name: name, kind: kind, gpu: gpu, power: power, utilisation: utilisation, precision: precision)
    }

    /// The fields of an owned profile: capital, energy, hosting and the load over a day.
    static func parseOwned(_ f: YAMLFields, known common: Set<String>, power: PowerSpec, utilisation: Double)
        throws(ConfigError) -> OwnedHardware
    {
        let source = f.source
        let ownedKeys: Set<String> = [
            "gpus_per_server", "capex_usd_per_gpu", "capex_usd_per_server", "network_usd_per_server", "residual_fraction",
            "life_years", "cost_of_capital", "host_kw_per_gpu", "pue", "usd_per_kwh", "idle_power_fraction",
            "hosting_usd_per_kw_month", "software_usd_per_gpu_year", "operations_usd_per_gpu_year", "load_schedule",
        ]
        try f.rejectUnknown(common.union(ownedKeys))
        var schedule = try f.numbers("load_schedule") ?? []
        if f.map["load_schedule"] != nil {
            guard schedule.count == 24, schedule.allSatisfy({ (0...1).contains($0) }) else {
                throw ConfigError(field: "load_schedule", message: "must be 24 hourly loads between 0 and 1 in \(source)")
            }
            if f.map["utilisation"] != nil {
                throw ConfigError(field: "utilisation", message: "give either utilisation or load_schedule in \(source), not both")
            }
        } else {
            schedule = Array(repeating: utilisation, count: 24)
        }
        guard schedule.reduce(0, +) > 0 else { throw ConfigError(field: "load_schedule", message: "the GPU is never used in \(source)") }
        return OwnedHardware(
            gpusPerServer: Int(try f.number("gpus_per_server", in: 1...1024) ?? 8),
            capexUSDPerGPU: try f.requiredNumber("capex_usd_per_gpu", in: 0...10_000_000),
            capexUSDPerServer: try f.number("capex_usd_per_server", in: 0...100_000_000) ?? 0,
            networkUSDPerServer: try f.number("network_usd_per_server", in: 0...100_000_000) ?? 0,
            residualFraction: try f.number("residual_fraction", in: 0...0.99) ?? 0,
            lifeYears: try f.requiredNumber("life_years", in: 0.5...30),
            costOfCapital: try f.number("cost_of_capital", in: 0...1, why: " (a yearly rate such as 0.08)") ?? 0,
            power: power,
            hostKilowattsPerGPU: try f.number("host_kw_per_gpu", in: 0...100) ?? 0,
            pue: try f.number("pue", in: 1...5, why: " (PUE is at least 1)") ?? 1.3,
            usdPerKilowattHour: try f.requiredNumber("usd_per_kwh", in: 0...10),
            idlePowerFraction: try f.number("idle_power_fraction", in: 0...1) ?? 0.3,
            hostingUSDPerKilowattMonth: try f.number("hosting_usd_per_kw_month", in: 0...100_000) ?? 0,
            softwareUSDPerGPUYear: try f.number("software_usd_per_gpu_year", in: 0...10_000_000) ?? 0,
            operationsUSDPerGPUYear: try f.number("operations_usd_per_gpu_year", in: 0...10_000_000) ?? 0,
            loadSchedule: schedule)
    }

    static func parsePower(_ f: YAMLFields) throws(ConfigError) -> PowerSpec {
        try f.rejectUnknown(["kw_per_gpu", "boundary", "source"])
        let kw = try f.requiredNumber("kw_per_gpu", in: 0.001...100)
        let boundaryName = try f.requiredString("boundary")
        guard let boundary = PowerBoundary(rawValue: boundaryName) else {
            throw ConfigError(field: "boundary", message: "'\(boundaryName)' is not \(PowerBoundary.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return PowerSpec(kilowattsPerGPU: kw, boundary: boundary, source: try f.string("source") ?? "profile")
    }
}
