import TokenMeterCore
import TokenMeterHTTP

/// Which OpenAI-compatible API a benchmark drives.
public enum APIKind: String, Codable, Sendable, CaseIterable {
    /// `/v1/completions` with a `prompt`.
    case completions
    /// `/v1/chat/completions` with `messages`.
    case chat
}

/// Everything about requests that is fixed for a run.
public struct RequestOptions: Sendable {
    /// API to use.
    public var api: APIKind
    /// Model name sent in the body.
    public var model: String
    /// Stream with server-sent events.
    public var stream: Bool
    /// Ask the server to ignore end-of-sequence so `max_tokens` is delivered.
    public var ignoreEOS: Bool
    /// Also send `min_tokens = max_tokens`.
    public var minTokens: Bool
    /// Ask for usage in every chunk (`stream_options.continuous_usage_stats`, vLLM).
    public var continuousUsage: Bool
    /// Extra header fields (the API key among them, never written anywhere).
    public var headers: [(String, String)]
    /// Extra body fields merged over the generated body.
    public var extraBody: JSONValue?

    /// Creates options.
    public init(api: APIKind, model: String, stream: Bool = true, ignoreEOS: Bool = true, minTokens: Bool = false,
                continuousUsage: Bool = false, headers: [(String, String)] = [], extraBody: JSONValue? = nil) {
        self.api = api
        self.model = model
        self.stream = stream
        self.ignoreEOS = ignoreEOS
        self.minTokens = minTokens
        self.continuousUsage = continuousUsage
        self.headers = headers
        self.extraBody = extraBody
    }
}

/// Builds the HTTP request for one planned prompt.
public enum RequestBuilder {
    /// The JSON body for a prompt.
    public static func body(prompt: PromptContent, maxTokens: Int, options: RequestOptions) -> JSONValue {
        var members: [(String, JSONValue)] = [("model", .string(options.model))]
        switch options.api {
        case .completions:
            members.append(("prompt", .string(prompt.flattened)))
        case .chat:
            switch prompt {
            case let .text(t):
                members.append(("messages", .array([.object([("role", .string("user")), ("content", .string(t))])])))
            case let .messages(m):
                members.append(("messages", .array(m)))
            }
        }
        let body = JSONValue.object(members + generationMembers(maxTokens: maxTokens, options: options))
        return options.extraBody.map { body.merging($0) } ?? body
    }

    /// The body's members after the prompt: lengths, streaming and the engine hints.
    static func generationMembers(maxTokens: Int, options: RequestOptions) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [("max_tokens", .number(Double(maxTokens)))]
        if options.api == .chat { members.append(("max_completion_tokens", .number(Double(maxTokens)))) }
        members.append(("stream", .bool(options.stream)))
        if options.stream {
            var streamOptions: [(String, JSONValue)] = [("include_usage", .bool(true))]
            if options.continuousUsage { streamOptions.append(("continuous_usage_stats", .bool(true))) }
            members.append(("stream_options", .object(streamOptions)))
        }
        if options.ignoreEOS { members.append(("ignore_eos", .bool(true))) }
        if options.minTokens { members.append(("min_tokens", .number(Double(maxTokens)))) }
        return members
    }

    /// The route of the API.
    static func route(_ options: RequestOptions, _ address: EndpointAddress) -> String {
        address.path(options.api == .completions ? "completions" : "chat/completions")
    }

    /// The header fields of every request.
    static func headers(_ options: RequestOptions, _ address: EndpointAddress) -> [(String, String)] {
        var headers: [(String, String)] = [
            ("Host", "\(address.host):\(address.port)"),
            ("Content-Type", "application/json"),
            ("Accept", options.stream ? "text/event-stream" : "application/json"),
            ("User-Agent", "tokenmeter/\(ToolInfo.version)"),
        ]
        headers.append(contentsOf: options.headers)
        return headers
    }

    /// The full request for a prompt against an endpoint.
    public static func request(prompt: PromptContent, maxTokens: Int, options: RequestOptions, address: EndpointAddress) -> PreparedRequest {
        let text = body(prompt: prompt, maxTokens: maxTokens, options: options).serialized
        return PreparedRequest(uri: route(options, address), headers: headers(options, address), body: Array(text.utf8),
                               expectsEventStream: options.stream)
    }
}
