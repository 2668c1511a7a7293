import TokenMeterCore

/// Anthropic Messages streams (PROTOCOLS.md §4.3): `message_start` (id, input and cache usage), content blocks of text,
/// thinking and tool use with their deltas, `message_delta` (stop reason, cumulative usage), `message_stop`, `ping`, and
/// `error`. Scanned without building a JSON tree.
public struct MessagesStreamDecoder: StreamDecoder {
    public private(set) var responseID: String?
    public private(set) var ended = false
    private var counts = AnthropicUsage()
    public var missingEnd: String { "stream ended without message_stop" }

    /// Creates a decoder.
    public init() {}

    public var usage: Usage? { counts.usage }

    public mutating func decode(_ data: [UInt8]) throws(JSONParseError) -> DecodedEvent {
        try data.withUnsafeBufferPointer { buffer throws(JSONParseError) -> DecodedEvent in
            var p = JSONParser(bytes: buffer)
            return try scan(&p)
        }
    }

    private mutating func scan(_ p: inout JSONParser) throws(JSONParseError) -> DecodedEvent {
        var event = DecodedEvent()
        var type: String?
        var error: JSONValue?
        try p.enterObject()
        while try p.nextMember() {
            if p.keyIs("type") {
                type = try p.stringOrSkip()
            } else if p.keyIs("delta") {
                guard try p.enterObjectOrSkip() else { continue }
                while try p.nextMember() {
                    if p.keyIs("text") {
                        event.content += try p.stringOrSkip() ?? ""
                    } else if p.keyIs("thinking") {
                        event.reasoning += try p.stringOrSkip() ?? ""
                    } else if p.keyIs("partial_json") {
                        event.toolArguments += try p.stringOrSkip() ?? ""
                    } else if p.keyIs("stop_reason") {
                        event.finishReason = try p.stringOrSkip().map(Self.finishReason)
                    } else {
                        try p.skip()
                    }
                }
            } else if p.keyIs("message") {
                guard try p.enterObjectOrSkip() else { continue }
                while try p.nextMember() {
                    if p.keyIs("id") {
                        responseID = try p.stringOrSkip()
                    } else if p.keyIs("usage") {
                        try counts.scan(&p)
                    } else {
                        try p.skip()
                    }
                }
            } else if p.keyIs("usage") {
                try counts.scan(&p)
            } else if p.keyIs("error") {
                error = try p.value()
            } else {
                try p.skip()
            }
        }
        try p.expectEnd()
        switch type {
        case "message_stop": ended = true
        case "error": event.failure = ErrorClassifier.failure(error ?? .string("error event"))
        default: break
        }
        return event
    }

    /// Anthropic's stop reasons in chat's words: `end_turn` → `stop`, `max_tokens` → `length`, `tool_use` → `tool_calls`.
    static func finishReason(_ reason: String) -> String {
        switch reason {
        case "end_turn", "stop_sequence": "stop"
        case "max_tokens": "length"
        case "tool_use": "tool_calls"
        default: reason
        }
    }
}

/// Anthropic's usage fields, merged field by field: `message_start` gives the input and cache counts, each `message_delta`
/// its cumulative counts (PROTOCOLS.md §4.4).
struct AnthropicUsage: Sendable {
    var input: Int?
    var cacheWrite: Int?
    var cacheRead: Int?
    var write5m: Int?
    var write1h: Int?
    var output: Int?
    var thinking: Int?

    /// One `usage` object.
    mutating func scan(_ p: inout JSONParser) throws(JSONParseError) {
        guard try p.enterObjectOrSkip() else { return }
        while try p.nextMember() {
            if p.keyIs("input_tokens") {
                input = try p.intOrSkip() ?? input
            } else if p.keyIs("cache_creation_input_tokens") {
                cacheWrite = try p.intOrSkip() ?? cacheWrite
            } else if p.keyIs("cache_read_input_tokens") {
                cacheRead = try p.intOrSkip() ?? cacheRead
            } else if p.keyIs("output_tokens") {
                output = try p.intOrSkip() ?? output
            } else if p.keyIs("cache_creation") {
                guard try p.enterObjectOrSkip() else { continue }
                while try p.nextMember() {
                    if p.keyIs("ephemeral_5m_input_tokens") {
                        write5m = try p.intOrSkip() ?? write5m
                    } else if p.keyIs("ephemeral_1h_input_tokens") {
                        write1h = try p.intOrSkip() ?? write1h
                    } else {
                        try p.skip()
                    }
                }
            } else if p.keyIs("output_tokens_details") {
                guard try p.enterObjectOrSkip() else { continue }
                while try p.nextMember() {
                    if p.keyIs("thinking_tokens") || p.keyIs("reasoning_tokens") { thinking = try p.intOrSkip() } else { try p.skip() }
                }
            } else {
                try p.skip()
            }
        }
    }

    /// The canonical usage: input is all of it (uncached, written and read).
    var usage: Usage? {
        guard let input, let output else { return nil }
        return Usage(promptTokens: input + (cacheWrite ?? 0) + (cacheRead ?? 0), completionTokens: output, reasoningTokens: thinking,
                     cachedPromptTokens: cacheRead, cacheWriteTokens: cacheWrite, cacheWrite5mTokens: write5m, cacheWrite1hTokens: write1h)
    }
}
