import TokenMeterCore
import TokenMeterCost

/// What the roofline needs of a GPU, read from the hardware catalog.
public struct HardwareSpec: Sendable, Equatable {
    /// Catalog id.
    public var id: String
    /// Dense peak FLOP/s per precision (`bf16`, `fp8`, `fp4`).
    public var peakFLOPS: [String: Double]
    /// HBM bytes per second.
    public var memoryBytesPerSecond: Double
    /// HBM capacity in bytes.
    public var memoryBytes: Double
    /// Scale-up bytes per second per GPU per direction.
    public var scaleUpBytesPerSecond: Double
    /// GPUs in one scale-up domain.
    public var scaleUpDomain: Int
    /// Scale-out (NIC) bytes per second per GPU per direction: collectives and KV transfers that leave the domain.
    public var scaleOutBytesPerSecond: Double
    /// CPU–GPU bytes per second per GPU per direction (KV-cache offload).
    public var hostLinkBytesPerSecond: Double
    /// Host memory per GPU for offloaded KV, bytes.
    public var hostMemoryBytes: Double
    /// Architecture family; calibrations transfer within one.
    public var family: String

    /// Reads a catalog entry; fails naming the missing figure.
    public init(_ gpu: GPUEntry) throws(ConfigError) {
        guard let bandwidth = gpu.hbmTerabytesPerSecond?.value, let capacity = gpu.hbmGigabytes?.value,
              let bf16 = gpu.peakTFLOPSDense["bf16"]?.value
        else { throw ConfigError(field: "hardware", message: "\(gpu.id) lacks HBM bandwidth, HBM size or a BF16 peak in the catalog") }
        id = gpu.id
        peakFLOPS = gpu.peakTFLOPSDense.mapValues { $0.value * 1e12 }
        peakFLOPS["bf16"] = bf16 * 1e12
        memoryBytesPerSecond = bandwidth * 1e12
        memoryBytes = capacity * 1e9
        scaleUpBytesPerSecond = (gpu.scaleUpGigabytesPerSecond?.value ?? 450) * 1e9
        scaleUpDomain = Int(gpu.scaleUpDomain?.value ?? 8)
        scaleOutBytesPerSecond = (gpu.scaleOutGigabytesPerSecond?.value ?? 50) * 1e9
        hostLinkBytesPerSecond = (gpu.hostLinkGigabytesPerSecond?.value ?? 64) * 1e9
        hostMemoryBytes = (gpu.hostMemoryGigabytes?.value ?? 0) * 1e9
        family = gpu.family ?? gpu.id
    }

    /// Bytes per second per GPU of a collective over `group` GPUs: scale-up inside one domain, scale-out beyond it.
    public func fabricBytesPerSecond(group: Int) -> Double {
        group <= scaleUpDomain ? scaleUpBytesPerSecond : scaleOutBytesPerSecond
    }

    /// The tensor peak used at a precision: FP4 runs at the FP8 peak where there is no FP4 peak (Hopper).
    public func peak(_ precision: Precision) -> Double {
        switch precision {
        case .fp4: peakFLOPS["fp4"] ?? peakFLOPS["fp8"] ?? peakFLOPS["bf16"]!
        case .fp8: peakFLOPS["fp8"] ?? peakFLOPS["bf16"]!
        case .int4: peakFLOPS["bf16"]!  // weight-only: dequantised, the math runs in BF16
        case .bf16: peakFLOPS["bf16"]!
        }
    }
}

/// Weight precision of a deployment.
public enum Precision: String, Codable, Sendable, CaseIterable {
    /// 16-bit floats.
    case bf16
    /// 8-bit floats.
    case fp8
    /// 4-bit floats with block scales (NVFP4: 16-element blocks, ≈ 4.5 bits).
    case fp4
    /// 4-bit integer weights, 16-bit activations.
    case int4

    /// Bytes per weight element, scales included.
    public var weightBytes: Double {
        switch self {
        case .bf16: 2
        case .fp8: 1
        case .fp4: 4.5 / 8
        case .int4: 4.25 / 8
        }
    }

    /// Bytes per KV-cache element engines use with this precision (FP8 cache with quantized weights).
    public var kvBytes: Double { self == .bf16 ? 2 : 1 }

    /// The share of its tensor peak a dense GEMM achieves at this precision, relative to BF16's: lower precisions are
    /// credited as measured, not by their peak ratio. AIConfigurator's measured compute-bound utilisation (H100, H200 and
    /// B200, three engines; aic-core operators/gemm.rs, ../shared/PREDICT-NOTES.md): BF16 0.70, FP8 0.45, NVFP4 0.30; INT4
    /// weight-only runs BF16 math after dequantising.
    public var gemmUtilisation: Double {
        switch self {
        case .bf16, .int4: 1
        case .fp8: 0.45 / 0.70
        case .fp4: 0.30 / 0.70
        }
    }

    /// The same for the routed experts' grouped GEMMs (operators/moe.rs): BF16 0.53, FP8 0.40, NVFP4 0.23, W4A16 0.07.
    public var moeUtilisation: Double {
        switch self {
        case .bf16: 1
        case .fp8: 0.40 / 0.53
        case .fp4: 0.23 / 0.53
        case .int4: 0.07 / 0.53
        }
    }

    /// Reads the names used by engines and data files (`''` means BF16).
    public init(parsing text: String) throws(ConfigError) {
        switch text.lowercased() {
        case "", "bf16", "fp16", "float16", "bfloat16": self = .bf16
        case "fp8", "fp8_block", "w8a8": self = .fp8
        case "fp4", "nvfp4", "mxfp4": self = .fp4
        case "int4", "int4_wo", "awq", "gptq": self = .int4
        default: throw ConfigError(field: "precision", message: "'\(text)' is not bf16, fp8, fp4 or int4")
        }
    }
}
