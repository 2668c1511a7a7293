import TokenMeterCore
import TokenMeterModel

/// Settings of the reference target.
public struct TargetConfiguration: Sendable {
    /// Address to bind; loopback by default.
    public var host: String
    /// Port to bind; 0 picks a free one.
    public var port: Int
    /// Model name the target reports.
    public var modelName: String
    /// Batch, prefill and KV-cache limits of the simulated engine.
    public var limits: BatchLimits
    /// Step durations.
    public var timing: any StepTiming
    /// Chance per token of an early stop when the client did not ask to ignore EOS.
    public var eosProbability: Double
    /// Keep a ground-truth log of token write times.
    public var recordGroundTruth: Bool
    /// Write the ground-truth log here (JSONL) when the target stops.
    public var groundTruthPath: String?
    /// Seed of the early-stop and fault draws.
    public var seed: UInt64
    /// Largest request body accepted, bytes.
    public var maxRequestBytes: Int
    /// Faults to inject into generation requests.
    public var faults: FaultPlan
    /// Tokens the simulated prefix cache holds (0: no prefix cache).
    public var prefixCacheTokens: Int
    /// Tokens per prefix-cache block.
    public var prefixBlockTokens: Int
    /// Also keep each request's prompt text in the ground-truth log (for tests that check what was sent).
    public var recordPrompts: Bool
    /// Output tokens of each answer that are reasoning, before the answer (capped one below `max_tokens`).
    public var reasoningTokens: Int
    /// Chat's delta field for reasoning: `reasoning_content` (SGLang, llama.cpp) or `reasoning` (vLLM).
    public var reasoningField: String
    /// The request rate the target admits before it answers 429 with `retry-after` (a token bucket); nil: no limit.
    public var rateLimit: RateLimit?
    /// The API key generation requests must carry, in their dialect's header (`x-api-key` or `Authorization: Bearer` for
    /// Anthropic, `Authorization: Bearer` otherwise); nil: none needed. Never logged.
    public var apiKey: String?

    /// The model name the target reports by default.
    public static let defaultModelName = "tokenmeter-reference"
    /// The context length it reports (`max_model_len`).
    public static let maxModelLength = 131_072

    /// Creates a configuration with defaults suited to a laptop-sized benchmark.
    public init(host: String = "127.0.0.1", port: Int = 0, modelName: String = defaultModelName, limits: BatchLimits = .default,
                timing: any StepTiming = ParametricStepTime.default, eosProbability: Double = 0, recordGroundTruth: Bool = false,
                groundTruthPath: String? = nil, seed: UInt64 = 1, maxRequestBytes: Int = 32 << 20, faults: FaultPlan = FaultPlan(),
                prefixCacheTokens: Int = BatchLimits.default.kvCapacityTokens, prefixBlockTokens: Int = 16, recordPrompts: Bool = false,
                reasoningTokens: Int = 0, reasoningField: String = "reasoning_content", rateLimit: RateLimit? = nil, apiKey: String? = nil) {
        self.host = host
        self.port = port
        self.modelName = modelName
        self.limits = limits
        self.timing = timing
        self.eosProbability = eosProbability
        self.recordGroundTruth = recordGroundTruth || groundTruthPath != nil
        self.groundTruthPath = groundTruthPath
        self.seed = seed
        self.maxRequestBytes = maxRequestBytes
        self.faults = faults
        self.prefixCacheTokens = max(0, prefixCacheTokens)
        self.prefixBlockTokens = max(1, prefixBlockTokens)
        self.recordPrompts = recordPrompts
        self.reasoningTokens = max(0, reasoningTokens)
        self.reasoningField = reasoningField
        self.rateLimit = rateLimit
        self.apiKey = apiKey
    }

    /// The prefix cache it starts with, nil when off.
    var prefixCache: PrefixCache? {
        prefixCacheTokens > 0 ? PrefixCache(blockTokens: prefixBlockTokens, capacityTokens: prefixCacheTokens) : nil
    }
}

/// When each token of one request was written to its socket: the target's ground truth.
public struct GroundTruthRecord: Codable, Sendable, Equatable {
    /// The client's `X-Request-Id`, or the target's own sequence number.
    public var requestID: String
    /// When the request was handed to the engine (monotonic ns).
    public var arrivalNanoseconds: UInt64
    /// When each output token's chunk was flushed to the socket (monotonic ns).
    public var tokenNanoseconds: [UInt64]
    /// Prompt tokens the target counted.
    public var promptTokens: Int
    /// Of those, tokens its prefix cache served.
    public var cachedTokens: Int
    /// Whether the client went away before the end.
    public var aborted: Bool
    /// The prompt's text as the target read it (chat messages' contents joined by newlines), when prompts are recorded.
    public var prompt: String?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", arrivalNanoseconds = "t_arrival_ns", tokenNanoseconds = "t_token_ns"
        case promptTokens = "prompt_tokens", cachedTokens = "cached_tokens", aborted, prompt
    }
}
