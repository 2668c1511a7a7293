import TokenMeterCore

/// The fields of one OpenAI stream chunk that a benchmark needs.
public struct ChunkFields: Sendable, Equatable {
    /// Visible text (`choices[0].text` or `choices[0].delta.content`).
    public var content = ""
    /// Reasoning text (`delta.reasoning_content` or `delta.reasoning`).
    public var reasoning = ""
    /// Tool-call argument fragments (`delta.tool_calls[].function.arguments`, legacy `delta.function_call.arguments`).
    public var toolArguments = ""
    /// `choices[0].finish_reason` when set.
    public var finishReason: String?
    /// `usage` when present and not null.
    public var usage: Usage?
    /// The failure when the chunk is an error object (classed: a rate limit, an overload, or a server error).
    public var failure: RequestFailure?
    /// The chunk's `id`, when asked for.
    public var id: String?

    /// Creates empty fields.
    public init() {}
}

/// Reads the needed fields of a chunk without building a JSON tree; everything else is skipped (but syntax-checked).
public enum ChunkScanner {
    /// Scans one event payload; throws when it is not valid JSON.
    public static func scan(_ data: [UInt8], wantID: Bool = false) throws(JSONParseError) -> ChunkFields {
        let result: Result<ChunkFields, JSONParseError> = data.withUnsafeBufferPointer { buffer in
            do throws(JSONParseError) {
                var p = JSONParser(bytes: buffer)
                return .success(try scanObject(&p, wantID: wantID))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func scanObject(_ p: inout JSONParser, wantID: Bool) throws(JSONParseError) -> ChunkFields {
        var fields = ChunkFields()
        var isErrorObject = false
        var topMessage: String?
        var topCode: Int?
        try p.enterObject()
        while try p.nextMember() {
            if p.keyIs("choices") {
                guard p.peek() == UInt8(ascii: "[") else { try p.skip(); continue }
                try p.enterArray()
                var index = 0
                while try p.nextElement() {
                    if index == 0, p.peek() == UInt8(ascii: "{") { try scanChoice(&p, into: &fields) } else { try p.skip() }
                    index += 1
                }
            } else if p.keyIs("usage") {
                if p.peek() == UInt8(ascii: "{") {
                    fields.usage = try scanUsage(&p)
                } else {
                    try p.skip()
                }
            } else if p.keyIs("error") {
                if p.peek() == UInt8(ascii: "n") {
                    try p.skip()
                } else {
                    let value = try p.value()
                    if value.boolValue != false { fields.failure = ErrorClassifier.failure(value) }
                }
            } else if wantID, p.keyIs("id") {
                fields.id = try p.stringOrSkip()
            } else if p.keyIs("code") {
                topCode = try p.intOrSkip()
            } else if p.keyIs("object") {
                isErrorObject = try p.stringOrSkip() == "error"
            } else if p.keyIs("message") {
                topMessage = try p.stringOrSkip()
            } else {
                try p.skip()
            }
        }
        try p.expectEnd()
        if isErrorObject, fields.failure == nil {
            fields.failure = RequestFailure(kind: ErrorClassifier.kind(name: nil, code: topCode), message: topMessage ?? "error object")
        }
        return fields
    }

    private static func scanChoice(_ p: inout JSONParser, into fields: inout ChunkFields) throws(JSONParseError) {
        try p.enterObject()
        while try p.nextMember() {
            if p.keyIs("text") {
                fields.content += try p.stringOrSkip() ?? ""
            } else if p.keyIs("delta") {
                guard p.peek() == UInt8(ascii: "{") else { try p.skip(); continue }
                try p.enterObject()
                while try p.nextMember() {
                    if p.keyIs("content") {
                        fields.content += try p.stringOrSkip() ?? ""
                    } else if p.keyIs("reasoning_content") || p.keyIs("reasoning") {
                        fields.reasoning += try p.stringOrSkip() ?? ""
                    } else if p.keyIs("tool_calls") {
                        guard p.peek() == UInt8(ascii: "[") else { try p.skip(); continue }
                        try p.enterArray()
                        while try p.nextElement() { try scanFunction(&p, into: &fields, nested: true) }
                    } else if p.keyIs("function_call") {
                        try scanFunction(&p, into: &fields, nested: false)
                    } else {
                        try p.skip()
                    }
                }
            } else if p.keyIs("finish_reason") {
                if let reason = try p.stringOrSkip() { fields.finishReason = reason }
            } else {
                try p.skip()
            }
        }
    }

    /// A tool call (`{"function": {"arguments": …}}`) or a legacy `function_call` (`{"arguments": …}`): its arguments.
    private static func scanFunction(_ p: inout JSONParser, into fields: inout ChunkFields, nested: Bool) throws(JSONParseError) {
        guard try p.enterObjectOrSkip() else { return }
        while try p.nextMember() {
            if nested, p.keyIs("function") {
                try scanFunction(&p, into: &fields, nested: false)
            } else if !nested, p.keyIs("arguments") {
                if p.peek() == UInt8(ascii: "\"") {
                    fields.toolArguments += try p.stringOrSkip() ?? ""
                } else {
                    fields.toolArguments += try p.value().serialized  // Ollama-style arguments as an object
                }
            } else {
                try p.skip()
            }
        }
    }

    private static func scanUsage(_ p: inout JSONParser) throws(JSONParseError) -> Usage? {
        var prompt: Int?
        var completion: Int?
        var reasoning: Int?
        var cached: Int?
        var cacheWrite: Int?
        try p.enterObject()
        while try p.nextMember() {
            if p.keyIs("prompt_tokens") {
                prompt = try p.intOrSkip()
            } else if p.keyIs("completion_tokens") {
                completion = try p.intOrSkip()
            } else if p.keyIs("reasoning_tokens") {
                reasoning = try p.intOrSkip() ?? reasoning  // SGLang puts it at the top
            } else if p.keyIs("prompt_cache_hit_tokens") {
                cached = try p.intOrSkip() ?? cached  // DeepSeek
            } else if p.keyIs("completion_tokens_details") || p.keyIs("prompt_tokens_details") {
                let isCompletion = p.keyIs("completion_tokens_details")
                guard try p.enterObjectOrSkip() else { continue }
                while try p.nextMember() {
                    if isCompletion, p.keyIs("reasoning_tokens") {
                        reasoning = try p.intOrSkip()
                    } else if !isCompletion, p.keyIs("cached_tokens") {
                        cached = try p.intOrSkip()
                    } else if !isCompletion, p.keyIs("cache_write_tokens") {
                        cacheWrite = try p.intOrSkip()
                    } else {
                        try p.skip()
                    }
                }
            } else {
                try p.skip()
            }
        }
        guard let prompt, let completion else { return nil }
        return Usage(promptTokens: prompt, completionTokens: completion, reasoningTokens: reasoning, cachedPromptTokens: cached,
                     cacheWriteTokens: cacheWrite)
    }
}
