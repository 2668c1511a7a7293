import TokenMeterCore

/// The server's side of the OpenAI wire format, as the reference target writes it: SSE chunks, usage, whole responses,
/// errors, the model list and `/tokenize` answers. Strings are built directly: a chunk per token per stream is on the
/// target's hot path.
public enum ServerEncoding {
    /// One completion being answered.
    public struct Completion: Sendable {
        /// The target's number for it (`cmpl-7`, `chatcmpl-7`).
        public var number: Int
        /// True for `/v1/chat/completions`.
        public var chat: Bool
        /// The model name it reports, escaped for a JSON string.
        public var model: String
        /// The `created` timestamp (seconds).
        public var created: Int

        /// Creates a completion.
        public init(number: Int, chat: Bool, model: String, created: Int) {
            self.number = number
            self.chat = chat
            self.model = ServerEncoding.escape(model)
            self.created = created
        }

        var id: String { chat ? "chatcmpl-\(number)" : "cmpl-\(number)" }
        var chunkObject: String { chat ? "chat.completion.chunk" : "text_completion" }
    }

    /// The end of an event stream.
    public static let done = "data: [DONE]\n\n"

    /// The `usage` object; with `cached`, the prompt tokens a prefix cache served in `prompt_tokens_details` (as vLLM does).
    public static func usage(prompt: Int, completion: Int, cached: Int? = nil) -> String {
        let details = cached.map { ",\"prompt_tokens_details\":{\"cached_tokens\":\($0)}" } ?? ""
        return "{\"prompt_tokens\":\(prompt),\"completion_tokens\":\(completion),\"total_tokens\":\(prompt + completion)\(details)}"
    }

    /// The SSE frames of one token: for chat, the role chunk before the first; `finish` on the last; usage in the chunk when
    /// `usage` is given (continuous usage).
    public static func tokenFrames(_ c: Completion, piece: String, first: Bool, finish: String?, usage: String?) -> String {
        var frames = ""
        if c.chat, first {
            frames += frame(c, choice: #"{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}"#, usage: nil)
        }
        let text = escape(piece)
        let finishJSON = finish.map { "\"\($0)\"" } ?? "null"
        let choice = c.chat
            ? #"{"index":0,"delta":{"content":"\#(text)"},"finish_reason":\#(finishJSON)}"#
            : #"{"index":0,"text":"\#(text)","logprobs":null,"finish_reason":\#(finishJSON)}"#
        return frames + frame(c, choice: choice, usage: usage)
    }

    /// The usage-only frame after the last token (`stream_options.include_usage`).
    public static func usageFrame(_ c: Completion, usage: String) -> String {
        "data: {\"id\":\"\(c.id)\",\"object\":\"\(c.chunkObject)\",\"created\":\(c.created),\"model\":\"\(c.model)\",\"choices\":[],\"usage\":\(usage)}\n\n"
    }

    /// A whole (non-streamed) response.
    public static func whole(_ c: Completion, text: String, finish: String, usage: String) -> String {
        let body = escape(text)
        let choice = c.chat
            ? #"{"index":0,"message":{"role":"assistant","content":"\#(body)"},"finish_reason":"\#(finish)"}"#
            : #"{"index":0,"text":"\#(body)","logprobs":null,"finish_reason":"\#(finish)"}"#
        return "{\"id\":\"\(c.id)\",\"object\":\"\(c.chat ? "chat.completion" : "text_completion")\",\"created\":\(c.created),"
            + "\"model\":\"\(c.model)\",\"choices\":[\(choice)],\"usage\":\(usage)}"
    }

    /// An error body.
    public static func error(_ message: String, type: String = "invalid_request_error") -> String {
        var text = ""
        JSONValue.writeString(message, to: &text)
        return "{\"error\":{\"message\":\(text),\"type\":\"\(type)\"}}"
    }

    /// An error object inside a 2xx event stream, as a server whose engine failed mid-generation sends it.
    public static func errorFrame(_ message: String, code: Int) -> String {
        var text = ""
        JSONValue.writeString(message, to: &text)
        return "data: {\"error\": {\"message\": \(text), \"code\": \(code)}}\n\n"
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

    static func frame(_ c: Completion, choice: String, usage: String?) -> String {
        let usagePart = usage.map { ",\"usage\":\($0)" } ?? ""
        return "data: {\"id\":\"\(c.id)\",\"object\":\"\(c.chunkObject)\",\"created\":\(c.created),\"model\":\"\(c.model)\",\"choices\":[\(choice)]\(usagePart)}\n\n"
    }

    /// `s` as the inside of a JSON string literal.
    public static func escape(_ s: String) -> String {
        var out = ""
        JSONValue.writeString(s, to: &out)
        return String(out.dropFirst().dropLast())
    }
}
