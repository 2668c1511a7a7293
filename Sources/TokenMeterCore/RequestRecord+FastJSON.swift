/// A request record read and written without Foundation's coders: a merge streams a million records from several workers'
/// timelines, and JSONDecoder alone takes ~70 µs per record. Both sides speak exactly the Codable form (sorted keys, nil
/// fields left out, slashes unescaped), so a line written here is the line `JSONEncoder` with `[.sortedKeys,
/// .withoutEscapingSlashes]` writes, byte for byte (tested); a shape the reader does not know (a key added later, a fraction
/// where an integer belongs) throws, and the caller decodes that line with JSONDecoder, which reads every shape.
extension RequestRecord {
    /// Reads one record (an object) at the parser's cursor.
    public static func parse(_ p: inout JSONParser) throws(JSONParseError) -> RequestRecord {
        try p.enterObject()
        var r = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 0, promptTokensExact: false, maxTokens: 0)
        var required = 0  // one bit per non-optional field seen
        while try p.nextMember() {
            if try parseRequired(&p, into: &r, seen: &required) { continue }
            if try p.null() { continue }  // an optional field written as null: left nil, as JSONDecoder leaves it
            if p.keyIs("t_send_ns") { r.sentNanoseconds = try p.unsignedInteger() }
            else if p.keyIs("t_head_ns") { r.responseHeadNanoseconds = try p.unsignedInteger() }
            else if p.keyIs("t_done_ns") { r.completedNanoseconds = try p.unsignedInteger() }
            else if p.keyIs("t_first_send_ns") { r.firstSentNanoseconds = try p.unsignedInteger() }
            else if p.keyIs("usage") { r.usage = try Usage.parse(&p) }
            else if p.keyIs("finish_reason") { r.finishReason = try p.string() }
            else if p.keyIs("http_status") { r.httpStatus = try p.integer() }
            else if p.keyIs("error") { r.failure = try RequestFailure.parse(&p) }
            else if p.keyIs("usage_frames") { r.usageFrames = try p.integer() }
            else if p.keyIs("usage_decreased") { r.usageDecreased = try p.bool() }
            else if p.keyIs("local_output_tokens") { r.localOutputTokens = try p.integer() }
            else if p.keyIs("conversation") { r.conversation = try p.integer() }
            else if p.keyIs("call") { r.call = try p.integer() }
            else if p.keyIs("attempts") { r.attempts = try p.integer() }
            else if p.keyIs("response_id") { r.responseID = try p.string() }
            else if p.keyIs("rate_limit") { r.rateLimit = try parseStrings(&p) }
            else { throw p.unknownKey() }
        }
        guard required == 0b1_1111_1111 else { throw JSONParseError(offset: p.index, reason: "a required field of a request record is missing") }
        return r
    }

    /// Reads one of the fields every record has; false when the current key is none of them.
    static func parseRequired(_ p: inout JSONParser, into r: inout RequestRecord, seen: inout Int) throws(JSONParseError) -> Bool {
        if p.keyIs("events") {
            var events: [StreamEvent] = []
            try p.enterArray()
            while try p.nextElement() { events.append(try StreamEvent.parse(&p)) }
            r.events = events
            seen |= 1
        } else if p.keyIs("id") { r.id = try p.integer(); seen |= 2 }
        else if p.keyIs("phase") {
            guard let phase = RequestPhase(rawValue: try p.string()) else { throw JSONParseError(offset: p.index, reason: "unknown phase") }
            r.phase = phase
            seen |= 4
        } else if p.keyIs("t_sched_ns") { r.scheduledNanoseconds = try p.unsignedInteger(); seen |= 8 }
        else if p.keyIs("prompt_tokens_planned") { r.promptTokensPlanned = try p.integer(); seen |= 16 }
        else if p.keyIs("prompt_tokens_exact") { r.promptTokensExact = try p.bool(); seen |= 32 }
        else if p.keyIs("max_tokens") { r.maxTokens = try p.integer(); seen |= 64 }
        else if p.keyIs("connection_retries") { r.connectionRetries = try p.integer(); seen |= 128 }
        else if p.keyIs("streamed") { r.streamed = try p.bool(); seen |= 256 }
        else { return false }
        return true
    }

    static func parseStrings(_ p: inout JSONParser) throws(JSONParseError) -> [String: String] {
        var map: [String: String] = [:]
        try p.enterObject()
        while try p.nextMember() { map[try p.plainKey()] = try p.string() }
        return map
    }
}

extension StreamEvent {
    static func parse(_ p: inout JSONParser) throws(JSONParseError) -> StreamEvent {
        try p.enterObject()
        var event = StreamEvent(timeNanoseconds: 0, readIndex: 0)
        var timed = false
        while try p.nextMember() {
            if p.keyIs("t_ns") { event.timeNanoseconds = try p.unsignedInteger(); timed = true }
            else if try p.null() { continue }
            else if p.keyIs("read") { event.readIndex = try p.integer() }
            else if p.keyIs("text") { event.content = try p.string() }
            else if p.keyIs("reasoning") { event.reasoning = try p.string() }
            else if p.keyIs("tool") { event.toolArguments = try p.string() }
            else if p.keyIs("tokens") { event.tokens = try p.integer() }
            else { throw p.unknownKey() }
        }
        guard timed else { throw JSONParseError(offset: p.index, reason: "an event without t_ns") }
        return event
    }
}

extension Usage {
    static func parse(_ p: inout JSONParser) throws(JSONParseError) -> Usage {
        try p.enterObject()
        var usage = Usage(promptTokens: 0, completionTokens: 0)
        var seen = 0
        while try p.nextMember() {
            if p.keyIs("prompt_tokens") { usage.promptTokens = try p.integer(); seen |= 1 }
            else if p.keyIs("completion_tokens") { usage.completionTokens = try p.integer(); seen |= 2 }
            else if try p.null() { continue }
            else if p.keyIs("reasoning_tokens") { usage.reasoningTokens = try p.integer() }
            else if p.keyIs("cached_prompt_tokens") { usage.cachedPromptTokens = try p.integer() }
            else if p.keyIs("cache_write_tokens") { usage.cacheWriteTokens = try p.integer() }
            else if p.keyIs("cache_write_5m_tokens") { usage.cacheWrite5mTokens = try p.integer() }
            else if p.keyIs("cache_write_1h_tokens") { usage.cacheWrite1hTokens = try p.integer() }
            else { throw p.unknownKey() }
        }
        guard seen == 3 else { throw JSONParseError(offset: p.index, reason: "usage without its token counts") }
        return usage
    }
}

extension RequestFailure {
    static func parse(_ p: inout JSONParser) throws(JSONParseError) -> RequestFailure {
        try p.enterObject()
        var kind: ErrorKind?
        var message: String?
        var status: Int?
        while try p.nextMember() {
            if p.keyIs("kind") { kind = ErrorKind(rawValue: try p.string()) }
            else if p.keyIs("message") { message = try p.string() }
            else if try p.null() { continue }
            else if p.keyIs("http_status") { status = try p.integer() }
            else { throw p.unknownKey() }
        }
        guard let kind, let message else { throw JSONParseError(offset: p.index, reason: "an error without its kind or message") }
        return RequestFailure(kind: kind, message: message, httpStatus: status)
    }
}

extension JSONParser {
    /// The error for a member this reader does not know.
    public func unknownKey() -> JSONParseError { fail("a key this reader does not know") }
}
