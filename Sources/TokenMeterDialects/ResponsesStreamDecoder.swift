import TokenMeterCore

/// OpenAI Responses streams (PROTOCOLS.md §3.2): typed events with `sequence_number`; text, refusal, reasoning (raw and
/// summary) and tool-argument deltas; usage only on the terminal `response.completed` / `response.incomplete`;
/// `response.failed` and `error` fail the request. The `.done` events repeat their deltas' text and are not counted again.
public struct ResponsesStreamDecoder: StreamDecoder {
    public private(set) var responseID: String?
    public private(set) var ended = false
    public private(set) var usage: Usage?
    private var sawToolCall = false
    public var missingEnd: String { "stream ended without response.completed" }

    /// Creates a decoder.
    public init() {}

    public mutating func decode(_ data: [UInt8]) throws(JSONParseError) -> DecodedEvent {
        var event = DecodedEvent()
        if data.elementsEqual("[DONE]".utf8) {
            event.sentinel = true  // some compatible servers send it after the terminal event
            return event
        }
        var scanned = try data.withUnsafeBufferPointer { buffer throws(JSONParseError) -> ResponsesEvent in
            var p = JSONParser(bytes: buffer)
            return try ResponsesEvent.scan(&p)
        }
        if let id = scanned.responseID { responseID = id }
        switch scanned.type {
        case "response.output_text.delta", "response.refusal.delta":
            event.content = scanned.delta
        case "response.reasoning_text.delta", "response.reasoning_summary_text.delta":
            event.reasoning = scanned.delta
        case "response.function_call_arguments.delta", "response.custom_tool_call_input.delta":
            event.toolArguments = scanned.delta
            sawToolCall = true
        case "response.completed", "response.incomplete":
            ended = true
            usage = scanned.usage.usage ?? usage
            event.finishReason = scanned.type == "response.completed" ? (sawToolCall ? "tool_calls" : "stop")
                : scanned.incompleteReason == "max_output_tokens" ? "length" : (scanned.incompleteReason ?? "incomplete")
        case "response.failed", "error":
            ended = true
            usage = scanned.usage.usage ?? usage
            scanned.error = scanned.error ?? .string("\(scanned.type ?? "error") without an error object")
            event.failure = ErrorClassifier.failure(scanned.error!)
        default:
            break
        }
        return event
    }
}

/// The fields of one Responses event a benchmark needs.
struct ResponsesEvent {
    var type: String?
    var delta = ""
    var responseID: String?
    var usage = ResponsesUsage()
    var incompleteReason: String?
    var error: JSONValue?

    static func scan(_ p: inout JSONParser) throws(JSONParseError) -> ResponsesEvent {
        var e = ResponsesEvent()
        var code: String?
        var message: String?
        try p.enterObject()
        while try p.nextMember() {
            if p.keyIs("type") {
                e.type = try p.stringOrSkip()
            } else if p.keyIs("delta") {
                e.delta = try p.stringOrSkip() ?? ""
            } else if p.keyIs("response") {
                try e.scanResponse(&p)
            } else if p.keyIs("code") {
                code = try p.stringOrSkip()
            } else if p.keyIs("message") {
                message = try p.stringOrSkip()
            } else {
                try p.skip()
            }
        }
        try p.expectEnd()
        if e.type == "error", e.error == nil {
            e.error = .object([("code", code.map(JSONValue.string) ?? .null), ("message", .string(message ?? "error event"))])
        }
        return e
    }

    /// The `response` object of a lifecycle event: its id, status details, error and usage.
    mutating func scanResponse(_ p: inout JSONParser) throws(JSONParseError) {
        guard try p.enterObjectOrSkip() else { return }
        while try p.nextMember() {
            if p.keyIs("id") {
                responseID = try p.stringOrSkip()
            } else if p.keyIs("usage") {
                try usage.scan(&p)
            } else if p.keyIs("error") {
                let value = try p.value()
                if !value.isNull { error = value }
            } else if p.keyIs("incomplete_details") {
                guard try p.enterObjectOrSkip() else { continue }
                while try p.nextMember() {
                    if p.keyIs("reason") { incompleteReason = try p.stringOrSkip() } else { try p.skip() }
                }
            } else {
                try p.skip()
            }
        }
    }
}

/// The Responses `usage` object (PROTOCOLS.md §3.3).
struct ResponsesUsage {
    var input: Int?
    var cached: Int?
    var cacheWrite: Int?
    var output: Int?
    var reasoning: Int?

    mutating func scan(_ p: inout JSONParser) throws(JSONParseError) {
        guard try p.enterObjectOrSkip() else { return }
        while try p.nextMember() {
            if p.keyIs("input_tokens") {
                input = try p.intOrSkip()
            } else if p.keyIs("output_tokens") {
                output = try p.intOrSkip()
            } else if p.keyIs("input_tokens_details") {
                guard try p.enterObjectOrSkip() else { continue }
                while try p.nextMember() {
                    if p.keyIs("cached_tokens") {
                        cached = try p.intOrSkip()
                    } else if p.keyIs("cache_write_tokens") {
                        cacheWrite = try p.intOrSkip()
                    } else {
                        try p.skip()
                    }
                }
            } else if p.keyIs("output_tokens_details") {
                guard try p.enterObjectOrSkip() else { continue }
                while try p.nextMember() {
                    if p.keyIs("reasoning_tokens") { reasoning = try p.intOrSkip() } else { try p.skip() }
                }
            } else {
                try p.skip()
            }
        }
    }

    var usage: Usage? {
        guard let input, let output else { return nil }
        return Usage(promptTokens: input, completionTokens: output, reasoningTokens: reasoning, cachedPromptTokens: cached,
                     cacheWriteTokens: cacheWrite)
    }
}
