import TokenMeterCore

/// How a measured or predicted point delivers tokens, per GPU.
public struct Delivery: Codable, Sendable, Equatable {
    /// Input (prefill) tokens per second per GPU.
    public var inputPerGPU: Double
    /// Output (decode) tokens per second per GPU.
    public var outputPerGPU: Double
    /// Interactivity of the point, tok/s/user, if known.
    public var interactivity: Double?
    /// Good output tokens per second per GPU (requests meeting the SLO), if known.
    public var goodOutputPerGPU: Double?
    /// Output tokens streamed to failed requests, per second per GPU (paid for, not delivered).
    public var wastedOutputPerGPU: Double
    /// Total tok/s/GPU of each window slice, for a confidence interval.
    public var totalSlicesPerGPU: [Double]
    /// Output tok/s/GPU of each window slice.
    public var outputSlicesPerGPU: [Double]
    /// Disaggregated serving: prefill and decode GPU counts (throughputs above are then per all GPUs).
    public var split: DisaggregatedSplit?
    /// Cached prompt tokens as a fraction of input tokens (for API cards with a cache price).
    public var cachedInputFraction: Double
    /// Reasoning tokens as a fraction of output tokens (for API cards with a reasoning price).
    public var reasoningOutputFraction: Double
    /// Measured board power per GPU during the point, W (gpu-board-measured), when it was measured and valid.
    public var measuredWattsPerGPU: Double?

    /// Creates a delivery from per-GPU rates.
    public init(inputPerGPU: Double, outputPerGPU: Double, interactivity: Double? = nil, goodOutputPerGPU: Double? = nil,
                wastedOutputPerGPU: Double = 0, totalSlicesPerGPU: [Double] = [], outputSlicesPerGPU: [Double] = [],
                split: DisaggregatedSplit? = nil, cachedInputFraction: Double = 0, reasoningOutputFraction: Double = 0) {
        self.inputPerGPU = inputPerGPU
        self.outputPerGPU = outputPerGPU
        self.interactivity = interactivity
        self.goodOutputPerGPU = goodOutputPerGPU
        self.wastedOutputPerGPU = wastedOutputPerGPU
        self.totalSlicesPerGPU = totalSlicesPerGPU
        self.outputSlicesPerGPU = outputSlicesPerGPU
        self.split = split
        self.cachedInputFraction = cachedInputFraction
        self.reasoningOutputFraction = reasoningOutputFraction
    }

    /// Input plus output per GPU.
    public var totalPerGPU: Double { inputPerGPU + outputPerGPU }

    /// A measured point's delivery; `gpus` and `split` come from how the endpoint was deployed.
    public init(metrics m: PointMetrics, split: DisaggregatedSplit? = nil) {
        let gpus = Double(split.map { $0.prefillGPUs + $0.decodeGPUs } ?? m.gpus)
        let window = m.windowSeconds
        self.init(
            inputPerGPU: m.inputTokensPerSecond / gpus, outputPerGPU: m.outputTokensPerSecond / gpus,
            interactivity: m.interactivityMedian, goodOutputPerGPU: m.goodput.map { $0.goodOutputTokensPerSecond / gpus },
            wastedOutputPerGPU: window > 0 ? Double(m.failedRequestOutputTokens) / window / gpus : 0,
            totalSlicesPerGPU: (m.totalTokensPerSecondSlices ?? []).map { $0 / gpus },
            outputSlicesPerGPU: (m.outputTokensPerSecondSlices ?? []).map { $0 / gpus }, split: split,
            cachedInputFraction: Self.share(m.cachedPromptTokens, of: m.promptTokensSucceeded),
            reasoningOutputFraction: Self.share(m.reasoningTokens, of: m.outputTokensSucceeded))
    }

    static func share(_ part: Int?, of whole: Int?) -> Double {
        guard let part, let whole, whole > 0 else { return 0 }
        return min(1, Double(part) / Double(whole))
    }
}

/// Prefill and decode pools of a disaggregated deployment.
public struct DisaggregatedSplit: Codable, Sendable, Equatable {
    /// GPUs doing prefill.
    public var prefillGPUs: Int
    /// GPUs doing decode.
    public var decodeGPUs: Int

    /// Creates a split.
    public init(prefillGPUs: Int, decodeGPUs: Int) {
        self.prefillGPUs = prefillGPUs
        self.decodeGPUs = decodeGPUs
    }

    enum CodingKeys: String, CodingKey { case prefillGPUs = "prefill_gpus", decodeGPUs = "decode_gpus" }
}
