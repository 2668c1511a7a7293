import TokenMeterCore
import TokenMeterHTTP

/// Builds the HTTP request for one planned prompt, in the run's dialect.
public enum RequestBuilder {
    /// The JSON body for a prompt.
    public static func body(prompt: PromptContent, maxTokens: Int, options: RequestOptions) -> JSONValue {
        var members: [(String, JSONValue)] = [("model", .string(options.model))]
        switch options.api {
        case .completions:
            members.append(("prompt", .string(prompt.flattened)))
        case .embeddings:
            members.append(("input", .string(prompt.flattened)))
            members.append(("encoding_format", .string("float")))
        case .chat:
            members.append(("messages", .array(messages(prompt))))
        case .responses:
            let (system, rest) = split(messages(prompt))
            if let system { members.append(("instructions", .string(system))) }
            members.append(("input", .array(rest.map(responsesItem))))
        case .anthropic:
            let (system, rest) = split(messages(prompt))
            if let system { members.append(("system", anthropicSystem(system, options: options))) }
            let last = rest.count - 1
            members.append(("messages", .array(rest.enumerated().map { i, m in anthropicMessage(m, cached: i == last ? options.cacheTTL : nil) })))
        }
        let body = JSONValue.object(members + generationMembers(maxTokens: maxTokens, options: options))
        return options.extraBody.map { body.merging($0) } ?? body
    }

    /// The prompt as role messages.
    static func messages(_ prompt: PromptContent) -> [JSONValue] {
        switch prompt {
        case let .text(t): [.object([("role", .string("user")), ("content", .string(t))])]
        case let .messages(m): m
        }
    }

    /// The system messages joined (Responses' `instructions`, Anthropic's `system`), and the rest.
    static func split(_ messages: [JSONValue]) -> (system: String?, rest: [JSONValue]) {
        let system = messages.filter { ["system", "developer"].contains($0["role"]?.stringValue ?? "") }.compactMap { $0["content"]?.stringValue }
        let rest = messages.filter { !["system", "developer"].contains($0["role"]?.stringValue ?? "") }
        return (system.isEmpty ? nil : system.joined(separator: "\n"), rest)
    }

    static func responsesItem(_ message: JSONValue) -> JSONValue {
        .object([("role", message["role"] ?? .string("user")), ("content", .string(message["content"]?.stringValue ?? ""))])
    }

    static func cacheControl(_ ttl: String) -> JSONValue {
        .object([("type", .string("ephemeral")), ("ttl", .string(ttl))])
    }

    static func anthropicSystem(_ text: String, options: RequestOptions) -> JSONValue {
        guard let ttl = options.cacheTTL else { return .string(text) }
        return .array([.object([("type", .string("text")), ("text", .string(text)), ("cache_control", cacheControl(ttl))])])
    }

    static func anthropicMessage(_ message: JSONValue, cached ttl: String?) -> JSONValue {
        let text = message["content"]?.stringValue ?? ""
        let content: JSONValue = ttl.map { .array([.object([("type", .string("text")), ("text", .string(text)), ("cache_control", cacheControl($0))])]) }
            ?? .string(text)
        return .object([("role", message["role"] ?? .string("user")), ("content", content)])
    }

    /// The body's members after the prompt: lengths, streaming and the engine hints, as the dialect names them.
    static func generationMembers(maxTokens: Int, options: RequestOptions) -> [(String, JSONValue)] {
        let n = JSONValue.number(Double(maxTokens))
        var members: [(String, JSONValue)] = []
        switch options.api {
        case .embeddings: return []
        case .completions, .anthropic: members.append(("max_tokens", n))
        case .responses:
            members.append(("max_output_tokens", n))
            if options.chainResponses { members.append(("store", .bool(true))) }
        case .chat:
            if options.maxTokensField != .maxCompletionTokens { members.append(("max_tokens", n)) }
            if options.maxTokensField != .maxTokens { members.append(("max_completion_tokens", n)) }
        }
        members.append(("stream", .bool(options.stream)))
        if options.stream, options.streamOptions, options.api == .chat || options.api == .completions {
            var streamOptions: [(String, JSONValue)] = [("include_usage", .bool(true))]
            if options.continuousUsage { streamOptions.append(("continuous_usage_stats", .bool(true))) }
            members.append(("stream_options", .object(streamOptions)))
        }
        if options.ignoreEOS { members.append(("ignore_eos", .bool(true))) }
        if options.minTokens { members.append(("min_tokens", n)) }
        return members
    }

    /// The route of the API.
    static func route(_ options: RequestOptions, _ address: EndpointAddress) -> String {
        options.path ?? address.path(options.api.route, versionedBelow: options.api == .anthropic)
    }

    /// The header fields of every request; Anthropic's version header with the Messages dialect.
    static func headers(_ options: RequestOptions, _ address: EndpointAddress) -> [(String, String)] {
        var headers: [(String, String)] = [
            ("Host", "\(address.host):\(address.port)"),
            ("Content-Type", "application/json"),
            ("Accept", options.stream ? "text/event-stream" : "application/json"),
            ("User-Agent", "tokenmeter/\(ToolInfo.version)"),
        ]
        if options.api == .anthropic, !options.headers.contains(where: { $0.0.lowercased() == "anthropic-version" }) {
            headers.append(("anthropic-version", options.anthropicVersion))
        }
        headers.append(contentsOf: options.headers)
        return headers
    }

    /// The header that carries an API key in a dialect: `x-api-key` for Anthropic, `Authorization: Bearer` otherwise.
    public static func authorization(key: String, api: APIKind) -> (String, String) {
        api == .anthropic ? ("x-api-key", key) : ("Authorization", "Bearer \(key)")
    }

    /// The full request for a prompt against an endpoint.
    public static func request(prompt: PromptContent, maxTokens: Int, options: RequestOptions, address: EndpointAddress) -> PreparedRequest {
        let text = body(prompt: prompt, maxTokens: maxTokens, options: options).serialized
        return PreparedRequest(uri: route(options, address), headers: headers(options, address), body: Array(text.utf8),
                               expectsEventStream: options.stream)
    }
}
