import TokenMeterCore

/// Which OpenAI-compatible API a benchmark drives.
public enum APIKind: String, Codable, Sendable, CaseIterable {
    /// `/v1/completions` with a `prompt`.
    case completions
    /// `/v1/chat/completions` with `messages`.
    case chat
}

/// A parsed `http(s)://host:port/base` endpoint address.
public struct EndpointAddress: Sendable, Equatable, CustomStringConvertible {
    /// True for `https`: the connection is TLS, verified against the system's or a given CA.
    public var secure: Bool
    /// Host name or address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// Path prefix such as `/v1`, without a trailing slash.
    public var basePath: String

    /// Parses a base URL (`http` or `https`); any user-info is refused so secrets stay out of URLs.
    public init(parsing text: String) throws(ConfigError) {
        var rest = text.trimmingWhitespace
        if rest.lowercased().hasPrefix("https://") {
            secure = true
            rest = String(rest.dropFirst(8))
        } else if rest.lowercased().hasPrefix("http://") {
            secure = false
            rest = String(rest.dropFirst(7))
        } else {
            throw ConfigError(field: "url", message: "'\(text)' must start with http:// or https://, e.g. http://127.0.0.1:8000/v1")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        var path = String(rest[slash...])
        if authority.contains("@") {
            throw ConfigError(field: "url", message: "credentials in the URL are refused; pass the key through --api-key-env or --api-key-file")
        }
        var hostPart = authority
        var port = secure ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw ConfigError(field: "url", message: "unterminated IPv6 address in '\(text)'") }
            hostPart = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw ConfigError(field: "url", message: "bad port in '\(text)'") }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw ConfigError(field: "url", message: "bad port in '\(text)'")
            }
            port = p
        }
        guard !hostPart.isEmpty else { throw ConfigError(field: "url", message: "no host in '\(text)'") }
        while path.hasSuffix("/") { path.removeLast() }
        if let q = path.firstIndex(of: "?") { path = String(path[..<q]) }
        host = hostPart
        self.port = port
        basePath = path
    }

    /// Creates an address from parts.
    public init(host: String, port: Int, basePath: String = "/v1", secure: Bool = false) {
        self.secure = secure
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// The URL as text (it never holds credentials).
    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(secure ? "https" : "http")://\(h):\(port)\(basePath)"
    }

    /// The path of an API route under the base (`completions` → `/v1/completions`).
    public func path(_ route: String) -> String { basePath + "/" + route }

    /// The server-root path of a route outside the API base (`/tokenize`, `/metrics`).
    public func rootPath(_ route: String) -> String { "/" + route }
}

/// What a prompt is: plain text, or chat messages from a dataset.
public enum PromptContent: Sendable, Equatable {
    /// A text prompt.
    case text(String)
    /// Chat messages as JSON objects with `role` and `content`.
    case messages([JSONValue])

    /// The prompt as one text (messages joined by newlines), for the completions API and for counting.
    public var flattened: String {
        switch self {
        case let .text(t): t
        case let .messages(m): m.compactMap { $0["content"]?.stringValue }.joined(separator: "\n")
        }
    }
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
        members.append(("max_tokens", .number(Double(maxTokens))))
        if options.api == .chat { members.append(("max_completion_tokens", .number(Double(maxTokens)))) }
        members.append(("stream", .bool(options.stream)))
        if options.stream {
            var streamOptions: [(String, JSONValue)] = [("include_usage", .bool(true))]
            if options.continuousUsage { streamOptions.append(("continuous_usage_stats", .bool(true))) }
            members.append(("stream_options", .object(streamOptions)))
        }
        if options.ignoreEOS { members.append(("ignore_eos", .bool(true))) }
        if options.minTokens { members.append(("min_tokens", .number(Double(maxTokens)))) }
        let body = JSONValue.object(members)
        return options.extraBody.map { body.merging($0) } ?? body
    }

    /// The full request for a prompt against an endpoint.
    public static func request(prompt: PromptContent, maxTokens: Int, options: RequestOptions, address: EndpointAddress) -> PreparedRequest {
        let route = options.api == .completions ? "completions" : "chat/completions"
        var headers: [(String, String)] = [
            ("Host", "\(address.host):\(address.port)"),
            ("Content-Type", "application/json"),
            ("Accept", options.stream ? "text/event-stream" : "application/json"),
            ("User-Agent", "tokenmeter/\(ToolInfo.version)"),
        ]
        headers.append(contentsOf: options.headers)
        let text = body(prompt: prompt, maxTokens: maxTokens, options: options).serialized
        return PreparedRequest(uri: address.path(route), headers: headers, body: Array(text.utf8), expectsEventStream: options.stream)
    }
}
