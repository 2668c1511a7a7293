import TokenMeterCore
import TokenMeterDialects

/// What a generation (or embeddings) request asks for, read from its JSON body in its dialect.
struct GenerateRequest {
    var api: APIKind
    var model: String?
    var promptTokens: Int
    var maxTokens: Int
    var minTokens: Int
    var ignoreEOS: Bool
    var stream: Bool
    var includeUsage: Bool
    var continuousUsage: Bool
    /// The request offered tools: its answer is a tool call.
    var tools = false
    /// Anthropic `cache_control` was set (its TTL): the prompt is read from and written to the prefix cache.
    var cacheTTL: String?
    /// Responses `store`: keep the answer for a later `previous_response_id`.
    var store = false
    /// Embeddings: how many inputs.
    var inputs = 1
    /// The prompt's token ids, kept when the target has a prefix cache.
    var promptIDs: [UInt32] = []
    /// The prompt's text, kept when the target records prompts or stores the response.
    var prompt: String?

    /// Reads a request body of dialect `api`; `stored` finds a stored response's text for `previous_response_id`.
    static func parse(_ json: JSONValue, api: APIKind, configuration: TargetConfiguration,
                      stored: (String) -> String?) -> Result<GenerateRequest, TargetError> {
        let promptText: String
        switch promptOf(json, api: api, stored: stored) {
        case let .success(text): promptText = text
        case let .failure(error): return .failure(error)
        }
        let defaultMax = api == .completions ? 16 : 256
        let maxTokens = api == .embeddings ? 1
            : json["max_output_tokens"]?.intValue ?? json["max_completion_tokens"]?.intValue ?? json["max_tokens"]?.intValue ?? defaultMax
        if api == .anthropic, json["max_tokens"] == nil { return .failure(TargetError("max_tokens: Field required")) }
        guard maxTokens >= 1 else { return .failure(TargetError("max_tokens must be at least 1")) }
        let options = json["stream_options"]
        var request = GenerateRequest(
            api: api, model: json["model"]?.stringValue, promptTokens: WordTokenizer.count(promptText), maxTokens: maxTokens,
            minTokens: json["min_tokens"]?.intValue ?? 0, ignoreEOS: json["ignore_eos"]?.boolValue ?? false,
            stream: api.generates && (json["stream"]?.boolValue ?? false), includeUsage: options?["include_usage"]?.boolValue ?? false,
            continuousUsage: options?["continuous_usage_stats"]?.boolValue ?? false)
        request.tools = !(json["tools"]?.arrayValue ?? []).isEmpty
        request.cacheTTL = api == .anthropic ? cacheTTL(json) : nil
        request.store = api == .responses && json["store"]?.boolValue == true
        if api == .embeddings { request.inputs = json["input"]?.arrayValue?.count ?? 1 }
        if configuration.prefixCacheTokens > 0 { request.promptIDs = WordTokenizer.ids(promptText).map(UInt32.init) }
        if configuration.recordPrompts || request.store { request.prompt = promptText }
        return .success(request)
    }

    /// The prompt as text: messages' contents (string or text blocks) joined by newlines, with a system prompt first.
    static func promptOf(_ json: JSONValue, api: APIKind, stored: (String) -> String?) -> Result<String, TargetError> {
        switch api {
        case .completions:
            guard let text = json["prompt"]?.stringValue else { return .failure(TargetError("'prompt' must be a string")) }
            return .success(text)
        case .embeddings:
            if let text = json["input"]?.stringValue { return .success(text) }
            guard let items = json["input"]?.arrayValue, !items.isEmpty else { return .failure(TargetError("'input' must be a string or an array")) }
            return .success(items.map { $0.stringValue ?? ($0.arrayValue.map { "\($0.count) tokens" } ?? "") }.joined(separator: "\n"))
        case .chat:
            guard let text = messagesText(json["messages"]) else { return .failure(TargetError("'messages' must be an array of {role, content}")) }
            return .success(text)
        case .anthropic:
            guard let text = messagesText(json["messages"]) else { return .failure(TargetError("messages: Input should be a valid list")) }
            return .success(([blockText(json["system"])].compactMap { $0 } + [text]).joined(separator: "\n"))
        case .responses:
            var parts = [json["instructions"]?.stringValue].compactMap { $0 }
            if let previous = json["previous_response_id"]?.stringValue {
                guard let history = stored(previous) else { return .failure(TargetError("Previous response with id '\(previous)' not found.")) }
                parts.append(history)
            }
            if let text = json["input"]?.stringValue {
                parts.append(text)
            } else {
                guard let text = messagesText(json["input"]) else { return .failure(TargetError("'input' must be a string or an array of items")) }
                parts.append(text)
            }
            return .success(parts.joined(separator: "\n"))
        }
    }

    /// The contents of role messages (or Responses input items) joined by newlines; nil when `messages` is not an array.
    static func messagesText(_ messages: JSONValue?) -> String? {
        guard let items = messages?.arrayValue else { return nil }
        return items.compactMap { blockText($0["content"]) }.joined(separator: "\n")
    }

    /// A content: a string, or the text of its blocks (`text`, `input_text`, `output_text`).
    static func blockText(_ content: JSONValue?) -> String? {
        if let text = content?.stringValue { return text }
        guard let blocks = content?.arrayValue else { return nil }
        return blocks.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
    }

    /// The TTL of an Anthropic request's cache breakpoints (`1h` if any asks for it, else `5m`); nil without one.
    static func cacheTTL(_ json: JSONValue) -> String? {
        var ttls: [String] = []
        func visit(_ value: JSONValue) {
            switch value {
            case let .object(members):
                for (name, member) in members {
                    if name == "cache_control" { ttls.append(member["ttl"]?.stringValue ?? "5m") } else { visit(member) }
                }
            case let .array(items): items.forEach(visit)
            default: break
            }
        }
        visit(json)
        return ttls.isEmpty ? nil : (ttls.contains("1h") ? "1h" : "5m")
    }
}

/// A request the target refuses, in words for the client.
struct TargetError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
