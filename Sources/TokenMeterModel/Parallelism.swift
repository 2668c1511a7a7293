import TokenMeterCore

/// How a model is laid over GPUs within one serving replica.
public struct Parallelism: Sendable, Equatable, CustomStringConvertible {
    /// Tensor parallel degree (attention and dense layers).
    public var tensor: Int
    /// Pipeline parallel degree.
    public var pipeline: Int
    /// Attention data parallelism: sequences split over this many attention groups.
    public var attentionData: Int
    /// Expert parallel degree of MoE layers.
    public var expert: Int
    /// Tensor parallel degree inside each expert.
    public var expertTensor: Int

    /// Creates a layout; absent degrees are 1.
    public init(tensor: Int = 1, pipeline: Int = 1, attentionData: Int = 1, expert: Int = 1, expertTensor: Int = 1) {
        self.tensor = max(1, tensor)
        self.pipeline = max(1, pipeline)
        self.attentionData = max(1, attentionData)
        self.expert = max(1, expert)
        self.expertTensor = max(1, expertTensor)
    }

    /// GPUs of one replica: attention is TP × DP wide per stage, times the pipeline depth.
    public var gpus: Int { tensor * attentionData * pipeline }

    public var description: String {
        "tp\(tensor) pp\(pipeline) dp\(attentionData) ep\(expert) etp\(expertTensor)"
    }
}

/// What one GPU of a replica must hold, and whether it fits.
public struct MemoryPlan: Sendable, Equatable {
    /// Weight bytes per GPU.
    public var weightBytes: Double
    /// KV bytes per GPU at the planned batch and context.
    public var kvBytes: Double
    /// Activation and workspace bytes per GPU.
    public var activationBytes: Double
    /// Runtime reserve (CUDA context, allocator slack, graphs).
    public var reserveBytes: Double
    /// HBM per GPU.
    public var capacityBytes: Double

    /// Everything needed.
    public var totalBytes: Double { weightBytes + kvBytes + activationBytes + reserveBytes }
    /// True when it fits.
    public var fits: Bool { totalBytes <= capacityBytes }
    /// Why it does not fit, in words (nil when it does).
    public var refusal: String? {
        guard !fits else { return nil }
        func gb(_ b: Double) -> String { String((b / 1e9 * 10).rounded() / 10) + " GB" }
        return "needs \(gb(totalBytes)) per GPU (weights \(gb(weightBytes)), KV \(gb(kvBytes)), activations \(gb(activationBytes)), "
            + "reserve \(gb(reserveBytes))) but the GPU has \(gb(capacityBytes))"
    }
}
