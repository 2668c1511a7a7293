import TokenMeterCore

/// The fields of one OpenAI stream chunk that a benchmark needs.
public struct ChunkFields: Sendable, Equatable {
    /// Visible text (`choices[0].text` or `choices[0].delta.content`).
    public var content = ""
    /// Reasoning text (`delta.reasoning_content` or `delta.reasoning`).
    public var reasoning = ""
    /// `choices[0].finish_reason` when set.
    public var finishReason: String?
    /// `usage` when present and not null.
    public var usage: Usage?
    /// The error message when the chunk is an error object.
    public var error: String?

    /// Creates empty fields.
    public init() {}
}

/// Reads the needed fields of a chunk without building a JSON tree; everything else is skipped (but syntax-checked).
public enum ChunkScanner {
    /// Scans one event payload; throws when it is not valid JSON.
    public static func scan(_ data: [UInt8]) throws(JSONParseError) -> ChunkFields {
        let result: Result<ChunkFields, JSONParseError> = data.withUnsafeBufferPointer { buffer in
            do throws(JSONParseError) {
                var p = JSONParser(bytes: buffer)
                return .success(try scanObject(&p))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func scanObject(_ p: inout JSONParser) throws(JSONParseError) -> ChunkFields {
        var fields = ChunkFields()
        var isErrorObject = false
        var topMessage: String?
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
                    fields.error = value["message"]?.stringValue ?? value.stringValue ?? value.serialized
                }
            } else if p.keyIs("object") {
                isErrorObject = try p.stringOrSkip() == "error"
            } else if p.keyIs("message") {
                topMessage = try p.stringOrSkip()
            } else {
                try p.skip()
            }
        }
        try p.expectEnd()
        if isErrorObject, fields.error == nil { fields.error = topMessage ?? "error object" }
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

    private static func scanUsage(_ p: inout JSONParser) throws(JSONParseError) -> Usage? {
        var prompt: Int?
        var completion: Int?
        var reasoning: Int?
        var cached: Int?
        try p.enterObject()
        while try p.nextMember() {
            if p.keyIs("prompt_tokens") {
                prompt = try p.intOrSkip()
            } else if p.keyIs("completion_tokens") {
                completion = try p.intOrSkip()
            } else if p.keyIs("completion_tokens_details") || p.keyIs("prompt_tokens_details") {
                let isCompletion = p.keyIs("completion_tokens_details")
                guard p.peek() == UInt8(ascii: "{") else { try p.skip(); continue }
                try p.enterObject()
                while try p.nextMember() {
                    if isCompletion, p.keyIs("reasoning_tokens") {
                        reasoning = try p.intOrSkip()
                    } else if !isCompletion, p.keyIs("cached_tokens") {
                        cached = try p.intOrSkip()
                    } else {
                        try p.skip()
                    }
                }
            } else {
                try p.skip()
            }
        }
        guard let prompt, let completion else { return nil }
        return Usage(promptTokens: prompt, completionTokens: completion, reasoningTokens: reasoning, cachedPromptTokens: cached)
    }
}
