/// One server-sent event as the client saw it, timestamped on byte arrival.
public struct StreamEvent: Codable, Sendable, Equatable {
    /// Monotonic arrival time of the read that completed this event, in nanoseconds.
    public var timeNanoseconds: UInt64
    /// Index of the socket read that carried the event; equal indices mean coalesced events.
    public var readIndex: Int
    /// Visible (non-reasoning) text the event carried.
    public var content: String
    /// Reasoning text the event carried.
    public var reasoning: String
    /// Tool-call arguments the event carried (a fragment of a call's JSON arguments, or a whole call's).
    public var toolArguments: String
    /// Output tokens this event carried when the server said so (continuous usage), else nil.
    public var tokens: Int?

    /// Creates an event record.
    public init(timeNanoseconds: UInt64, readIndex: Int, content: String = "", reasoning: String = "", toolArguments: String = "",
                tokens: Int? = nil) {
        self.timeNanoseconds = timeNanoseconds
        self.readIndex = readIndex
        self.content = content
        self.reasoning = reasoning
        self.toolArguments = toolArguments
        self.tokens = tokens
    }

    /// True when the event carried at least one output token (visible text, reasoning or a tool call's arguments).
    public var isTokenBearing: Bool { !content.isEmpty || !reasoning.isEmpty || !toolArguments.isEmpty || (tokens ?? 0) > 0 }

    /// True when the event carried answer output: visible text or a tool call, not reasoning (what TTFO waits for).
    public var isAnswer: Bool { !content.isEmpty || !toolArguments.isEmpty }

    enum CodingKeys: String, CodingKey {
        case timeNanoseconds = "t_ns", readIndex = "read", content = "text", reasoning = "reasoning", toolArguments = "tool", tokens
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timeNanoseconds = try c.decode(UInt64.self, forKey: .timeNanoseconds)
        readIndex = try c.decodeIfPresent(Int.self, forKey: .readIndex) ?? 0
        content = try c.decodeIfPresent(String.self, forKey: .content) ?? ""
        reasoning = try c.decodeIfPresent(String.self, forKey: .reasoning) ?? ""
        toolArguments = try c.decodeIfPresent(String.self, forKey: .toolArguments) ?? ""
        tokens = try c.decodeIfPresent(Int.self, forKey: .tokens)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timeNanoseconds, forKey: .timeNanoseconds)
        try c.encode(readIndex, forKey: .readIndex)
        if !content.isEmpty { try c.encode(content, forKey: .content) }
        if !reasoning.isEmpty { try c.encode(reasoning, forKey: .reasoning) }
        if !toolArguments.isEmpty { try c.encode(toolArguments, forKey: .toolArguments) }
        try c.encodeIfPresent(tokens, forKey: .tokens)
    }
}

/// Token counts a server reported, in one shape for every dialect (see docs/metrics.md for each dialect's fields).
public struct Usage: Codable, Sendable, Equatable {
    /// Input tokens, all of them: cached reads and cache writes included (Anthropic's `input_tokens` plus both cache fields).
    public var promptTokens: Int
    /// Output tokens, reasoning included.
    public var completionTokens: Int
    /// Reasoning tokens, where the server breaks them out.
    public var reasoningTokens: Int?
    /// Input tokens read from a prefix (prompt) cache, where reported.
    public var cachedPromptTokens: Int?
    /// Input tokens written to the cache, where reported (Anthropic's `cache_creation_input_tokens`, OpenAI's
    /// `cache_write_tokens`), billed at the write rate.
    public var cacheWriteTokens: Int?
    /// Of the cache writes, those kept five minutes (Anthropic's `ephemeral_5m_input_tokens`).
    public var cacheWrite5mTokens: Int?
    /// Of the cache writes, those kept one hour (Anthropic's `ephemeral_1h_input_tokens`).
    public var cacheWrite1hTokens: Int?

    /// Creates a usage record.
    public init(promptTokens: Int, completionTokens: Int, reasoningTokens: Int? = nil, cachedPromptTokens: Int? = nil,
                cacheWriteTokens: Int? = nil, cacheWrite5mTokens: Int? = nil, cacheWrite1hTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.reasoningTokens = reasoningTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.cacheWrite5mTokens = cacheWrite5mTokens
        self.cacheWrite1hTokens = cacheWrite1hTokens
    }

    /// Output tokens that are the answer (visible text and tool calls): the output less its reasoning.
    public var answerTokens: Int { max(0, completionTokens - (reasoningTokens ?? 0)) }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
        case reasoningTokens = "reasoning_tokens", cachedPromptTokens = "cached_prompt_tokens"
        case cacheWriteTokens = "cache_write_tokens", cacheWrite5mTokens = "cache_write_5m_tokens", cacheWrite1hTokens = "cache_write_1h_tokens"
    }
}
