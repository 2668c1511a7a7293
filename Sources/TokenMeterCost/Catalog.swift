import Foundation
import TokenMeterCore

/// A published figure with where it came from.
public struct Figure: Codable, Sendable, Equatable {
    /// The number.
    public var value: Double
    /// Who published it.
    public var source: String
    /// When it was taken from that source.
    public var date: String
    /// Caveats (provisional, unverified, alternatives).
    public var note: String?
}

/// One GPU in the catalog: peak compute, memory, power and price tiers, each with its source.
public struct GPUEntry: Codable, Sendable, Equatable {
    /// Short id (`h200`).
    public var id: String
    /// Display name.
    public var name: String
    /// Other names it is known by (`h200-sxm`).
    public var aliases: [String]
    /// Dense peak TFLOPS per precision (`bf16`, `fp8`, `fp4`).
    public var peakTFLOPSDense: [String: Figure]
    /// HBM capacity, GB.
    public var hbmGigabytes: Figure?
    /// HBM bandwidth, TB/s.
    public var hbmTerabytesPerSecond: Figure?
    /// GPUs in one scale-up (NVLink / Infinity Fabric) domain.
    public var scaleUpDomain: Figure?
    /// Scale-up bandwidth per GPU, GB/s.
    public var scaleUpGigabytesPerSecond: Figure?
    /// Scale-out bandwidth per GPU, GB/s.
    public var scaleOutGigabytesPerSecond: Figure?
    /// Architecture family (`hopper`, `blackwell`, `cdna3`): calibrations carry over within one.
    public var family: String?
    /// CPU–GPU link per GPU per direction, GB/s (PCIe or NVLink-C2C): what KV-cache offload moves over.
    public var hostLinkGigabytesPerSecond: Figure?
    /// Host memory per GPU, GB: room for offloaded KV.
    public var hostMemoryGigabytes: Figure?
    /// Board power, W.
    public var tdpWatts: Figure?
    /// Provisioned all-in power per GPU, kW.
    public var allInKilowatts: Figure?
    /// $/GPU-hour per tier (`hyperscaler`, `neocloud`, `rental`).
    public var usdPerGPUHour: [String: Figure]

    enum CodingKeys: String, CodingKey {
        case id, name, aliases, peakTFLOPSDense = "peak_tflops_dense", hbmGigabytes = "hbm_gb", hbmTerabytesPerSecond = "hbm_tb_s"
        case scaleUpDomain = "scale_up_domain", scaleUpGigabytesPerSecond = "scale_up_gb_s", scaleOutGigabytesPerSecond = "scale_out_gb_s"
        case family, hostLinkGigabytesPerSecond = "host_link_gb_s", hostMemoryGigabytes = "host_memory_gb"
        case tdpWatts = "tdp_w", allInKilowatts = "all_in_kw", usdPerGPUHour = "usd_per_gpu_hour"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? id
        aliases = try c.decodeIfPresent([String].self, forKey: .aliases) ?? []
        peakTFLOPSDense = try c.decodeIfPresent([String: Figure].self, forKey: .peakTFLOPSDense) ?? [:]
        hbmGigabytes = try c.decodeIfPresent(Figure.self, forKey: .hbmGigabytes)
        hbmTerabytesPerSecond = try c.decodeIfPresent(Figure.self, forKey: .hbmTerabytesPerSecond)
        scaleUpDomain = try c.decodeIfPresent(Figure.self, forKey: .scaleUpDomain)
        scaleUpGigabytesPerSecond = try c.decodeIfPresent(Figure.self, forKey: .scaleUpGigabytesPerSecond)
        scaleOutGigabytesPerSecond = try c.decodeIfPresent(Figure.self, forKey: .scaleOutGigabytesPerSecond)
        family = try c.decodeIfPresent(String.self, forKey: .family)
        hostLinkGigabytesPerSecond = try c.decodeIfPresent(Figure.self, forKey: .hostLinkGigabytesPerSecond)
        hostMemoryGigabytes = try c.decodeIfPresent(Figure.self, forKey: .hostMemoryGigabytes)
        tdpWatts = try c.decodeIfPresent(Figure.self, forKey: .tdpWatts)
        allInKilowatts = try c.decodeIfPresent(Figure.self, forKey: .allInKilowatts)
        usdPerGPUHour = try c.decodeIfPresent([String: Figure].self, forKey: .usdPerGPUHour) ?? [:]
    }
}

/// The hardware and price catalog: the built-in JSON resource plus any `*.json` files a user adds.
public struct HardwareCatalog: Sendable {
    /// Every GPU, built-in first; a user file with the same id replaces the built-in entry.
    public private(set) var gpus: [GPUEntry]
    /// Tier descriptions.
    public private(set) var tiers: [String: String]

    struct File: Codable {
        var schema: String?
        var tiers: [String: String]?
        var gpus: [GPUEntry]
    }

    /// The built-in catalog, with the files of `extraDirectory` (and `TOKENMETER_CATALOG`) laid over it.
    public static func load(extraDirectory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigError) -> HardwareCatalog
    {
        guard let url = Bundle.module.url(forResource: "gpus", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            throw ConfigError(field: "catalog", message: "the built-in catalog resource is missing; reinstall tokenmeter")
        }
        var catalog = HardwareCatalog(gpus: [], tiers: [:])
        try catalog.merge(data, source: "built-in gpus.json")
        // A catalog folder may hold price-card files too; a file without `gpus` is not this catalog's.
        for (path, data) in try CatalogFolders.files(extraDirectory: extraDirectory, environment: environment)
            where !CatalogFolders.holds("cards", in: data) || CatalogFolders.holds("gpus", in: data) {
            try catalog.merge(data, source: path)
        }
        return catalog
    }

    init(gpus: [GPUEntry], tiers: [String: String]) {
        self.gpus = gpus
        self.tiers = tiers
    }

    mutating func merge(_ data: Data, source: String) throws(ConfigError) {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw ConfigError(field: "catalog", message: "\(source) is not a GPU catalog file: \(error)")
        }
        for gpu in file.gpus {
            if let i = gpus.firstIndex(where: { $0.id == gpu.id }) { gpus[i] = gpu } else { gpus.append(gpu) }
        }
        for (k, v) in file.tiers ?? [:] { tiers[k] = v }
    }

    /// The GPU with this id or alias (case-insensitive), or an error listing the known ones.
    public func gpu(_ name: String) throws(ConfigError) -> GPUEntry {
        let key = name.lowercased()
        if let gpu = gpus.first(where: { $0.id.lowercased() == key || $0.aliases.map { $0.lowercased() }.contains(key) }) {
            return gpu
        }
        throw ConfigError(field: "gpu", message: "unknown GPU '\(name)'; known: \(gpus.map(\.id).joined(separator: ", ")) (add one with a catalog file)")
    }
}
