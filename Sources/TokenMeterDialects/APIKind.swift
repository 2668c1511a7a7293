import TokenMeterCore

/// The API dialect a benchmark speaks (PROTOCOLS.md §1–§5).
public enum APIKind: String, Codable, Sendable, CaseIterable {
    /// OpenAI legacy completions: `/v1/completions` with a `prompt`.
    case completions
    /// OpenAI Chat Completions: `/v1/chat/completions` with `messages`.
    case chat
    /// OpenAI Responses: `/v1/responses` with `input` items, named events, usage on the terminal event.
    case responses
    /// Anthropic Messages: `/v1/messages`, `x-api-key`, named events, thinking and tool-use blocks, split cache usage.
    case anthropic
    /// Embeddings: `/v1/embeddings`, not streamed; latency, requests/s and input tokens/s.
    case embeddings

    /// The route under the API base.
    public var route: String {
        switch self {
        case .completions: "completions"
        case .chat: "chat/completions"
        case .responses: "responses"
        case .anthropic: "messages"
        case .embeddings: "embeddings"
        }
    }

    /// True for the dialects whose prompt is a list of role messages (a session's history is resent as messages).
    public var takesMessages: Bool { self == .chat || self == .responses || self == .anthropic }

    /// True for the dialects that generate tokens (all but embeddings).
    public var generates: Bool { self != .embeddings }

    /// True for the dialects whose streams name their events and end on a terminal event rather than `[DONE]`.
    public var namedEvents: Bool { self == .responses || self == .anthropic }
}

/// Which field carries the output length in a chat request: OpenAI prefers `max_completion_tokens`, many engines read only
/// `max_tokens`; sending both suits either (and is the default).
public enum MaxTokensField: String, Codable, Sendable, CaseIterable {
    /// Both fields, equal.
    case both
    /// `max_tokens` only.
    case maxTokens = "max_tokens"
    /// `max_completion_tokens` only.
    case maxCompletionTokens = "max_completion_tokens"
}

/// Everything about requests that is fixed for a run.
public struct RequestOptions: Sendable {
    /// API dialect.
    public var api: APIKind
    /// Model name sent in the body.
    public var model: String
    /// Stream with server-sent events (never for embeddings).
    public var stream: Bool
    /// Ask the server to ignore end-of-sequence so `max_tokens` is delivered (an engine extension).
    public var ignoreEOS: Bool
    /// Also send `min_tokens = max_tokens` (an engine extension).
    public var minTokens: Bool
    /// Ask for usage in every chunk (`stream_options.continuous_usage_stats`, vLLM).
    public var continuousUsage: Bool
    /// Send `stream_options.include_usage` on a streamed chat or completions request (strict servers refuse it).
    public var streamOptions: Bool
    /// Which field carries a chat request's output length.
    public var maxTokensField: MaxTokensField
    /// `anthropic-version` sent with Anthropic requests.
    public var anthropicVersion: String
    /// Anthropic prompt caching: mark the system prompt and the last message `cache_control` with this TTL (`5m`, `1h`).
    public var cacheTTL: String?
    /// Responses sessions: `store` each response and continue from it with `previous_response_id`, sending only the new
    /// turn (the server replays the history and bills it as input); otherwise every turn resends it (stateless).
    public var chainResponses: Bool
    /// A path that replaces the dialect's route under the base (for servers that put it elsewhere).
    public var path: String?
    /// Extra header fields (the API key among them, never written anywhere).
    public var headers: [(String, String)]
    /// Extra body fields merged over the generated body.
    public var extraBody: JSONValue?

    /// Creates options.
    public init(api: APIKind, model: String, stream: Bool = true, ignoreEOS: Bool = true, minTokens: Bool = false,
                continuousUsage: Bool = false, streamOptions: Bool = true, maxTokensField: MaxTokensField = .both,
                anthropicVersion: String = "2023-06-01", cacheTTL: String? = nil, chainResponses: Bool = false, path: String? = nil,
                headers: [(String, String)] = [], extraBody: JSONValue? = nil) {
        self.api = api
        self.model = model
        self.stream = stream && api.generates
        self.ignoreEOS = ignoreEOS
        self.minTokens = minTokens
        self.continuousUsage = continuousUsage
        self.streamOptions = streamOptions
        self.maxTokensField = maxTokensField
        self.anthropicVersion = anthropicVersion
        self.cacheTTL = cacheTTL
        self.chainResponses = chainResponses
        self.path = path
        self.headers = headers
        self.extraBody = extraBody
    }
}
