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
    /// Output tokens this event carried when the server said so (continuous usage), else nil.
    public var tokens: Int?

    /// Creates an event record.
    public init(timeNanoseconds: UInt64, readIndex: Int, content: String = "", reasoning: String = "", tokens: Int? = nil) {
        self.timeNanoseconds = timeNanoseconds
        self.readIndex = readIndex
        self.content = content
        self.reasoning = reasoning
        self.tokens = tokens
    }

    /// True when the event carried at least one output token (visible or reasoning).
    public var isTokenBearing: Bool { !content.isEmpty || !reasoning.isEmpty || (tokens ?? 0) > 0 }

    enum CodingKeys: String, CodingKey {
        case timeNanoseconds = "t_ns", readIndex = "read", content = "text", reasoning = "reasoning", tokens
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timeNanoseconds = try c.decode(UInt64.self, forKey: .timeNanoseconds)
        readIndex = try c.decodeIfPresent(Int.self, forKey: .readIndex) ?? 0
        content = try c.decodeIfPresent(String.self, forKey: .content) ?? ""
        reasoning = try c.decodeIfPresent(String.self, forKey: .reasoning) ?? ""
        tokens = try c.decodeIfPresent(Int.self, forKey: .tokens)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timeNanoseconds, forKey: .timeNanoseconds)
        try c.encode(readIndex, forKey: .readIndex)
        if !content.isEmpty { try c.encode(content, forKey: .content) }
        if !reasoning.isEmpty { try c.encode(reasoning, forKey: .reasoning) }
        try c.encodeIfPresent(tokens, forKey: .tokens)
    }
}

/// Token counts a server reported in its `usage` object.
public struct Usage: Codable, Sendable, Equatable {
    /// Prompt (input) tokens.
    public var promptTokens: Int
    /// Completion (output) tokens, reasoning included.
    public var completionTokens: Int
    /// Reasoning tokens, where the server breaks them out.
    public var reasoningTokens: Int?
    /// Prompt tokens served from a prefix cache, where reported.
    public var cachedPromptTokens: Int?

    /// Creates a usage record.
    public init(promptTokens: Int, completionTokens: Int, reasoningTokens: Int? = nil, cachedPromptTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.reasoningTokens = reasoningTokens
        self.cachedPromptTokens = cachedPromptTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
        case reasoningTokens = "reasoning_tokens", cachedPromptTokens = "cached_prompt_tokens"
    }
}
