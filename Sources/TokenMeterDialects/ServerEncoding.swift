import TokenMeterCore

/// What an output token is, to the server writing it: reasoning, answer text, or a tool call's arguments.
public enum OutputPart: Sendable, Equatable {
    /// Reasoning (thinking) before the answer.
    case reasoning
    /// Visible answer text.
    case answer
    /// A tool call's arguments.
    case tool
}

/// The counts a server reports in its usage, in every dialect's shape.
public struct ServerUsage: Sendable, Equatable {
    /// Input tokens, all of them.
    public var prompt: Int
    /// Output tokens, reasoning included.
    public var completion: Int
    /// Of the output, reasoning.
    public var reasoning: Int
    /// Of the input, read from the prefix cache; nil when the server has no cache.
    public var cached: Int?
    /// Of the input, written to the cache (Anthropic with `cache_control`).
    public var cacheWrite: Int
    /// The TTL of the cache write (`5m`, `1h`).
    public var cacheTTL: String?

    /// Creates counts.
    public init(prompt: Int, completion: Int, reasoning: Int = 0, cached: Int? = nil, cacheWrite: Int = 0, cacheTTL: String? = nil) {
        self.prompt = prompt
        self.completion = completion
        self.reasoning = reasoning
        self.cached = cached
        self.cacheWrite = cacheWrite
        self.cacheTTL = cacheTTL
    }
}

/// The server's side of every dialect, as the reference target writes it: stream frames (see `ServerStream`), usage, whole
/// responses, errors, the model list and `/tokenize` answers. Strings are built directly: a frame per token per stream is
/// on the target's hot path.
public enum ServerEncoding {
    /// One answer being written.
    public struct Completion: Sendable {
        /// The target's number for it.
        public var number: Int
        /// The dialect.
        public var api: APIKind
        /// The model name it reports, escaped for a JSON string.
        public var model: String
        /// The `created` timestamp (seconds).
        public var created: Int
        /// Chat's field for reasoning deltas: `reasoning_content` (SGLang, llama.cpp, DeepSeek) or `reasoning` (vLLM).
        public var reasoningField: String

        /// Creates a completion.
        public init(number: Int, api: APIKind, model: String, created: Int, reasoningField: String = "reasoning_content") {
            self.number = number
            self.api = api
            self.model = ServerEncoding.escape(model)
            self.created = created
            self.reasoningField = reasoningField
        }

        /// Its id in its dialect.
        public var id: String {
            switch api {
            case .chat: "chatcmpl-\(number)"
            case .responses: "resp_\(number)"
            case .anthropic: "msg_\(number)"
            case .completions, .embeddings: "cmpl-\(number)"
            }
        }

        var chunkObject: String { api == .chat ? "chat.completion.chunk" : "text_completion" }
    }

    /// The end of an OpenAI event stream.
    public static let done = "data: [DONE]\n\n"

    /// Chat's and completions' `usage` object; cached tokens in `prompt_tokens_details` (as vLLM reports them), reasoning in
    /// `completion_tokens_details`.
    public static func usage(_ u: ServerUsage) -> String {
        let cached = u.cached.map { ",\"prompt_tokens_details\":{\"cached_tokens\":\($0)}" } ?? ""
        let reasoning = u.reasoning > 0 ? ",\"completion_tokens_details\":{\"reasoning_tokens\":\(u.reasoning)}" : ""
        return "{\"prompt_tokens\":\(u.prompt),\"completion_tokens\":\(u.completion),\"total_tokens\":\(u.prompt + u.completion)\(cached)\(reasoning)}"
    }

    /// An error body in the dialect's shape: `{"error":{message,type}}`, or Anthropic's `{"type":"error","error":{type,message}}`.
    public static func error(_ message: String, type: String = "invalid_request_error", api: APIKind = .chat) -> String {
        var text = ""
        JSONValue.writeString(message, to: &text)
        if api == .anthropic { return "{\"type\":\"error\",\"error\":{\"type\":\"\(type)\",\"message\":\(text)}}" }
        return "{\"error\":{\"message\":\(text),\"type\":\"\(type)\"}}"
    }

    /// An error inside a 2xx stream, as a server whose engine failed mid-generation sends it: an error object (chat,
    /// completions), `event: error` with `overloaded_error` (Anthropic), `response.failed` (Responses).
    public static func errorFrame(_ message: String, code: Int, api: APIKind = .chat) -> String {
        var text = ""
        JSONValue.writeString(message, to: &text)
        switch api {
        case .anthropic:
            return "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\(text)}}\n\n"
        case .responses:
            return "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\","
                + "\"error\":{\"code\":\"server_error\",\"message\":\(text)}}}\n\n"
        default:
            return "data: {\"error\": {\"message\": \(text), \"code\": \(code)}}\n\n"
        }
    }

    /// An embeddings answer: one small vector per input, and the input tokens.
    public static func embeddings(model: String, inputs: Int, promptTokens: Int, seed: Int) -> String {
        var data: [String] = []
        for i in 0..<max(inputs, 1) {
            let vector = (0..<8).map { k in String(Double((seed &+ i &* 31 &+ k &* 7) % 97) / 97) }.joined(separator: ",")
            data.append("{\"object\":\"embedding\",\"index\":\(i),\"embedding\":[\(vector)]}")
        }
        return "{\"object\":\"list\",\"model\":\"\(escape(model))\",\"data\":[\(data.joined(separator: ","))],"
            + "\"usage\":{\"prompt_tokens\":\(promptTokens),\"total_tokens\":\(promptTokens)}}"
    }

    /// The `/v1/models` list of one model.
    public static func models(_ name: String, maxModelLength: Int) -> String {
        var id = ""
        JSONValue.writeString(name, to: &id)
        return "{\"object\":\"list\",\"data\":[{\"id\":\(id),\"object\":\"model\",\"owned_by\":\"tokenmeter\",\"max_model_len\":\(maxModelLength)}]}"
    }

    /// A `/tokenize` answer (vLLM's shape).
    public static func tokenized(_ ids: [Int], maxModelLength: Int) -> String {
        "{\"count\":\(ids.count),\"max_model_len\":\(maxModelLength),\"tokens\":[\(ids.map(String.init).joined(separator: ","))]}"
    }

    /// `s` as the inside of a JSON string literal.
    public static func escape(_ s: String) -> String {
        var out = ""
        JSONValue.writeString(s, to: &out)
        return String(out.dropFirst().dropLast())
    }
}
