/// What a point cost, priced from a GPU profile (self-hosted) or a provider's price card (an API), and what was assumed.
public struct PointPrice: Codable, Sendable, Equatable {
    /// The cost source: a price card id, or a GPU profile's name.
    public var source: String
    /// `card` or `gpu`.
    public var kind: String
    /// When no cost source was given: what the run assumed instead.
    public var assumed: String?
    /// A GPU profile's price of a used GPU-hour (what buyers compare inputs by).
    public var usdPerGPUHour: Double?
    /// The point's cost in dollars: the sum of its requests' bills (card), or its GPUs' hours over the window (GPU).
    public var usdTotal: Double?
    /// $ per 1M input tokens (card: the billed input at the measured cache mix; GPU: the cost charged to input).
    public var usdPerMtokInput: Double?
    /// $ per 1M output tokens.
    public var usdPerMtokOutput: Double?
    /// $ per 1M tokens, input and output together at the measured mix.
    public var usdPerMtokBlended: Double?
    /// $ per 1M answer tokens: the whole cost over the output less its reasoning.
    public var usdPerMtokAnswer: Double?
    /// $ per succeeded request.
    public var usdPerRequest: Double?
    /// $ per completed conversation (session or task), where the workload has them.
    public var usdPerConversation: Double?
    /// `session` or `task`.
    public var conversationKind: String?
    /// A card's bill by kind of token.
    public var breakdown: PriceBreakdown?
    /// What the price fell back on, said rather than hidden.
    public var notes: [String]

    /// Creates a price.
    public init(source: String, kind: String, notes: [String] = []) {
        self.source = source
        self.kind = kind
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey {
        case source, kind, assumed, usdPerGPUHour = "usd_per_gpu_hour", usdTotal = "usd_total", usdPerMtokInput = "usd_per_mtok_input", usdPerMtokOutput = "usd_per_mtok_output"
        case usdPerMtokBlended = "usd_per_mtok_blended", usdPerMtokAnswer = "usd_per_mtok_answer", usdPerRequest = "usd_per_request"
        case usdPerConversation = "usd_per_conversation", conversationKind = "conversation_kind", breakdown, notes
    }
}

/// A card's bill of a point by kind of token: tokens and dollars.
public struct PriceBreakdown: Codable, Sendable, Equatable {
    public var uncachedInputTokens = 0
    public var cacheReadTokens = 0
    public var cacheWrite5mTokens = 0
    public var cacheWrite1hTokens = 0
    public var outputTokens = 0
    public var reasoningTokens = 0
    public var uncachedInputUSD = 0.0
    public var cacheReadUSD = 0.0
    public var cacheWriteUSD = 0.0
    public var outputUSD = 0.0
    /// Requests billed at long-context prices.
    public var longContextRequests = 0

    /// Creates an empty breakdown.
    public init() {}

    /// Every token billed.
    public var tokens: Int { uncachedInputTokens + cacheReadTokens + cacheWrite5mTokens + cacheWrite1hTokens + outputTokens }
    /// Every dollar billed.
    public var usd: Double { uncachedInputUSD + cacheReadUSD + cacheWriteUSD + outputUSD }

    /// Adds another bill.
    public mutating func add(_ other: PriceBreakdown) {
        uncachedInputTokens += other.uncachedInputTokens
        cacheReadTokens += other.cacheReadTokens
        cacheWrite5mTokens += other.cacheWrite5mTokens
        cacheWrite1hTokens += other.cacheWrite1hTokens
        outputTokens += other.outputTokens
        reasoningTokens += other.reasoningTokens
        uncachedInputUSD += other.uncachedInputUSD
        cacheReadUSD += other.cacheReadUSD
        cacheWriteUSD += other.cacheWriteUSD
        outputUSD += other.outputUSD
        longContextRequests += other.longContextRequests
    }

    enum CodingKeys: String, CodingKey {
        case uncachedInputTokens = "uncached_input_tokens", cacheReadTokens = "cache_read_tokens", cacheWrite5mTokens = "cache_write_5m_tokens"
        case cacheWrite1hTokens = "cache_write_1h_tokens", outputTokens = "output_tokens", reasoningTokens = "reasoning_tokens"
        case uncachedInputUSD = "uncached_input_usd", cacheReadUSD = "cache_read_usd", cacheWriteUSD = "cache_write_usd", outputUSD = "output_usd"
        case longContextRequests = "long_context_requests"
    }
}
