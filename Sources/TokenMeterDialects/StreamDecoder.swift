import TokenMeterCore

/// What one event of a stream said, in every dialect's terms.
public struct DecodedEvent: Sendable, Equatable {
    /// Visible answer text.
    public var content = ""
    /// Reasoning text (thinking, reasoning summaries, `reasoning_content`).
    public var reasoning = ""
    /// Tool-call arguments (a fragment).
    public var toolArguments = ""
    /// Output tokens the event carried, when the server counted them per event (continuous usage).
    public var tokens: Int?
    /// The finish reason, in chat's words (`stop`, `length`, `tool_calls`), when the event ended the answer.
    public var finishReason: String?
    /// The failure the event reported (an error object, a failed response).
    public var failure: RequestFailure?
    /// Nothing to record: a sentinel.
    public var sentinel = false

    /// Creates an empty event.
    public init() {}
}

/// Reads one dialect's event stream, event by event, keeping what spans events (usage, the response's id, whether the
/// stream ended as the dialect ends it). One per dialect with named or unnamed events: chat and completions, Responses,
/// Anthropic Messages.
public protocol StreamDecoder {
    /// Decodes one event's data; throws when it is not JSON.
    mutating func decode(_ data: [UInt8]) throws(JSONParseError) -> DecodedEvent
    /// The usage the stream reported, merged over its events.
    var usage: Usage? { get }
    /// The server's id of the response.
    var responseID: String? { get }
    /// True once the stream ended as its dialect ends one (a sentinel, a terminal event, a finish reason).
    var ended: Bool { get }
    /// What a stream that stopped without ending lacked, for the error message.
    var missingEnd: String { get }
}

/// A dialect's error object as a failure: rate limits and overloads in their own classes (PROTOCOLS.md §4.5, §3.2).
enum ErrorClassifier {
    /// The class of an error whose type or code is `name` (or the HTTP status `code`).
    static func kind(name: String?, code: Int? = nil) -> ErrorKind {
        let n = name?.lowercased() ?? ""
        if n.contains("rate_limit") || code == 429 { return .rateLimited }
        if n.contains("overloaded") || code == 529 { return .overloaded }
        return .serverError
    }

    /// The failure of an error object: `{"type"|"code", "message"}`.
    static func failure(_ error: JSONValue) -> RequestFailure {
        let message = error["message"]?.stringValue ?? error.stringValue ?? error.serialized
        let name = error["type"]?.stringValue ?? error["code"]?.stringValue
        return RequestFailure(kind: kind(name: name, code: error["code"]?.intValue), message: message)
    }

    /// The class of a non-2xx answer: 429 and the dialects' rate-limit errors are rate limits; 529, a 503 that says when to
    /// come back, and overload errors are overloads; the rest keep their status.
    static func kind(status: Int, body: JSONValue?, retryAfter: Bool) -> ErrorKind {
        let type = body?["error"]?["type"]?.stringValue ?? body?["error"]?["code"]?.stringValue ?? body?["type"]?.stringValue
        if status == 429 { return .rateLimited }
        if status == 529 || (status == 503 && retryAfter) { return .overloaded }
        switch kind(name: type) {
        case .rateLimited: return .rateLimited
        case .overloaded: return .overloaded
        default: return .httpStatus
        }
    }
}

/// OpenAI chat and completions streams: unnamed chunks, `[DONE]`, usage on a last chunk or on every chunk.
public struct ChatStreamDecoder: StreamDecoder {
    public private(set) var usage: Usage?
    public private(set) var responseID: String?
    public private(set) var ended = false
    /// Chunks that carried usage.
    public private(set) var usageFrames = 0
    /// True when a later usage counted fewer completion tokens than an earlier one.
    public private(set) var usageDecreased = false
    private var lastCompletion = 0
    public var missingEnd: String { "stream ended without [DONE] or a finish_reason" }

    /// Creates a decoder.
    public init() {}

    public mutating func decode(_ data: [UInt8]) throws(JSONParseError) -> DecodedEvent {
        var event = DecodedEvent()
        if data.elementsEqual("[DONE]".utf8) {
            ended = true
            event.sentinel = true
            return event
        }
        let chunk = try ChunkScanner.scan(data, wantID: responseID == nil)
        if responseID == nil { responseID = chunk.id }
        if let failure = chunk.failure {
            event.failure = failure
            return event
        }
        event.content = chunk.content
        event.reasoning = chunk.reasoning
        event.toolArguments = chunk.toolArguments
        if let finish = chunk.finishReason {
            event.finishReason = finish
            ended = true
        }
        if let next = chunk.usage {
            if let previous = usage, next.completionTokens < previous.completionTokens { usageDecreased = true }
            usageFrames += 1
            usage = next
            if !chunk.content.isEmpty || !chunk.reasoning.isEmpty || !chunk.toolArguments.isEmpty {
                event.tokens = max(0, next.completionTokens - lastCompletion)
            }
            lastCompletion = next.completionTokens
        }
        return event
    }
}
