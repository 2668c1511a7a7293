import TokenMeterCore

/// One request whose counts disagree.
public struct RequestTokenDiscrepancy: Codable, Sendable, Equatable {
    /// Request id within its point.
    public var id: Int
    /// `output` or `prompt`.
    public var kind: String
    /// What the server's `usage` said.
    public var usage: Int
    /// What the local tokenizer counted (for prompts: plus the point's usual per-request offset).
    public var local: Int

    /// Creates a discrepancy.
    public init(id: Int, kind: String, usage: Int, local: Int) {
        self.id = id
        self.kind = kind
        self.usage = usage
        self.local = local
    }
}

/// A point's tokens counted three ways: the server's `usage`, the local tokenizer on the prompt and the joined output text, and
/// the server's own Prometheus counters over the window; with the known reasons they differ told apart from real disagreement.
public struct TokenReconciliation: Codable, Sendable, Equatable {
    /// Requests compared: every completed one with usage, warm-up included (the server's counters count those too).
    public var requests: Int
    /// Prompt tokens by usage.
    public var usagePromptTokens: Int
    /// Output tokens by usage.
    public var usageOutputTokens: Int
    /// Prompt tokens by the local tokenizer (nil without one).
    public var localPromptTokens: Int?
    /// Output tokens of the joined text by the local tokenizer (nil without one).
    public var localOutputTokens: Int?
    /// Prompt tokens by the server's counter over the point (every request that reached it).
    public var serverPromptTokens: Double?
    /// Generated tokens by the server's counter over the point.
    public var serverOutputTokens: Double?
    /// The usual per-request difference usage − local for prompts (a chat template, or special tokens the local count left out).
    public var promptOffsetPerRequest: Int?
    /// Requests whose prompt count differs from local + the usual offset.
    public var promptMismatches: Int
    /// Requests whose output count differs from the local count (an end-of-sequence token that is not text is allowed).
    public var outputMismatches: Int
    /// Prompt tokens usage says came from the prefix cache (`prompt_tokens_details.cached_tokens`).
    public var cachedPromptTokens: Int
    /// Requests with cached prompt tokens.
    public var cachedRequests: Int
    /// Requests whose stream carried usage in more than one chunk.
    public var usageRepeatedRequests: Int
    /// Requests whose usage frames went down (per-chunk counts, not running totals).
    public var usageDecreasedRequests: Int
    /// The largest disagreements, at most 20.
    public var discrepancies: [RequestTokenDiscrepancy]
    /// What differs for a known reason, in words.
    public var findings: [String]
    /// What disagrees, in words (also the point's warnings).
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case requests, usagePromptTokens = "usage_prompt_tokens", usageOutputTokens = "usage_output_tokens"
        case localPromptTokens = "local_prompt_tokens", localOutputTokens = "local_output_tokens"
        case serverPromptTokens = "server_prompt_tokens", serverOutputTokens = "server_output_tokens"
        case promptOffsetPerRequest = "prompt_offset_per_request", promptMismatches = "prompt_mismatches"
        case outputMismatches = "output_mismatches", cachedPromptTokens = "cached_prompt_tokens", cachedRequests = "cached_requests"
        case usageRepeatedRequests = "usage_repeated_requests", usageDecreasedRequests = "usage_decreased_requests", discrepancies
        case findings, warnings
    }

    /// Creates a reconciliation from its counts.
    public init(requests: Int, usagePromptTokens: Int, usageOutputTokens: Int, localPromptTokens: Int?, localOutputTokens: Int?,
                serverPromptTokens: Double?, serverOutputTokens: Double?, promptOffsetPerRequest: Int?, promptMismatches: Int,
                outputMismatches: Int, cachedPromptTokens: Int, cachedRequests: Int, usageRepeatedRequests: Int, usageDecreasedRequests: Int,
                discrepancies: [RequestTokenDiscrepancy], findings: [String], warnings: [String]) {
        self.requests = requests
        self.usagePromptTokens = usagePromptTokens
        self.usageOutputTokens = usageOutputTokens
        self.localPromptTokens = localPromptTokens
        self.localOutputTokens = localOutputTokens
        self.serverPromptTokens = serverPromptTokens
        self.serverOutputTokens = serverOutputTokens
        self.promptOffsetPerRequest = promptOffsetPerRequest
        self.promptMismatches = promptMismatches
        self.outputMismatches = outputMismatches
        self.cachedPromptTokens = cachedPromptTokens
        self.cachedRequests = cachedRequests
        self.usageRepeatedRequests = usageRepeatedRequests
        self.usageDecreasedRequests = usageDecreasedRequests
        self.discrepancies = discrepancies
        self.findings = findings
        self.warnings = warnings
    }
}
