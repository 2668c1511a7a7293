/// What a serving configuration delivers at one load: the latencies a user sees and the tokens each GPU moves.
public struct OperatingPoint: Codable, Sendable, Equatable {
    /// Time to first token, ms.
    public var ttftMilliseconds: Double
    /// Time per output token, ms.
    public var tpotMilliseconds: Double
    /// Input (prefill) tokens per second per GPU.
    public var inputPerGPU: Double
    /// Output (decode) tokens per second per GPU.
    public var outputPerGPU: Double

    /// Creates a point.
    public init(ttftMilliseconds: Double, tpotMilliseconds: Double, inputPerGPU: Double, outputPerGPU: Double) {
        self.ttftMilliseconds = ttftMilliseconds
        self.tpotMilliseconds = tpotMilliseconds
        self.inputPerGPU = inputPerGPU
        self.outputPerGPU = outputPerGPU
    }

    /// Tokens per second each user sees: 1000 / TPOT.
    public var interactivity: Double { tpotMilliseconds > 0 ? 1000 / tpotMilliseconds : 0 }

    /// Input plus output tokens per second per GPU.
    public var totalPerGPU: Double { inputPerGPU + outputPerGPU }

    enum CodingKeys: String, CodingKey {
        case ttftMilliseconds = "ttft_ms", tpotMilliseconds = "tpot_ms", inputPerGPU = "input_tok_s_gpu", outputPerGPU = "output_tok_s_gpu"
    }
}
