import TokenMeterCore
import TokenMeterHTTP

/// Turns a raw exchange into a request record in any dialect: decodes the events, finds usage, the finish and errors.
///
/// Runs after the stream has ended, off the timing path.
public enum ResponseInterpreter {
    /// Fills `record` from `raw`, an answer in dialect `api`.
    public static func apply(_ raw: RawResponse, streamed: Bool, api: APIKind = .completions, to record: inout RequestRecord) {
        record.sentNanoseconds = raw.sentNanoseconds
        record.responseHeadNanoseconds = raw.headNanoseconds
        record.completedNanoseconds = raw.endNanoseconds
        record.httpStatus = raw.status
        record.connectionRetries = raw.connectionRetries
        record.streamed = streamed
        if raw.attempts > 1 {
            record.attempts = raw.attempts
            record.firstSentNanoseconds = raw.firstSentNanoseconds
        }
        if !raw.rateLimitHeaders.isEmpty {
            record.rateLimit = Dictionary(raw.rateLimitHeaders, uniquingKeysWith: { _, last in last })
        }

        if let status = raw.status, !(200..<300).contains(status) {
            let json = try? JSONValue.parse(raw.body)
            let kind = ErrorClassifier.kind(status: status, body: json, retryAfter: RetryPolicy.serverWait(raw) != nil)
            record.failure = RequestFailure(kind: kind, message: errorMessage(body: raw.body, json: json, status: status), httpStatus: status)
            return
        }
        if streamed, raw.status != nil, raw.failure == nil, raw.events.isEmpty, !raw.body.isEmpty {
            // A 2xx answer that is not an event stream.
            let contentType = raw.contentType ?? "none"
            record.failure = RequestFailure(kind: .malformed, message: "expected text/event-stream, got content type \(contentType)", httpStatus: raw.status)
            return
        }
        var failure = raw.failure
        if streamed {
            switch api {
            case .anthropic:
                var decoder = MessagesStreamDecoder()
                decodeStream(raw, with: &decoder, into: &record, failure: &failure)
            case .responses:
                var decoder = ResponsesStreamDecoder()
                decodeStream(raw, with: &decoder, into: &record, failure: &failure)
            case .chat, .completions, .embeddings:
                var decoder = ChatStreamDecoder()
                decodeStream(raw, with: &decoder, into: &record, failure: &failure)
                if decoder.usageFrames > 1 { record.usageFrames = decoder.usageFrames }
                if decoder.usageDecreased { record.usageDecreased = true }
            }
        } else if failure == nil {
            WholeResponse.decode(raw, api: api, into: &record, failure: &failure)
        }
        record.failure = failure
    }

    private static func decodeStream<D: StreamDecoder>(_ raw: RawResponse, with decoder: inout D, into record: inout RequestRecord,
                                                       failure: inout RequestFailure?) {
        var events: [StreamEvent] = []
        events.reserveCapacity(raw.events.count)
        for (index, rawEvent) in raw.events.enumerated() {
            let decoded: DecodedEvent
            do {
                decoded = try decoder.decode(rawEvent.data)
            } catch {
                if failure == nil { failure = RequestFailure(kind: .malformed, message: "event \(index + 1) is not JSON (\(error))") }
                break
            }
            if decoded.sentinel { continue }
            if let eventFailure = decoded.failure {
                if failure == nil { failure = eventFailure }
                break
            }
            if let finish = decoded.finishReason { record.finishReason = finish }
            events.append(StreamEvent(timeNanoseconds: rawEvent.timeNanoseconds, readIndex: rawEvent.readIndex, content: decoded.content,
                                      reasoning: decoded.reasoning, toolArguments: decoded.toolArguments, tokens: decoded.tokens))
        }
        // Token deltas are only trusted when every token-bearing event carried one.
        if events.contains(where: { $0.tokens == nil && ($0.isTokenBearing) }) {
            for i in events.indices { events[i].tokens = nil }
        }
        record.events = events
        record.usage = decoder.usage
        record.responseID = decoder.responseID
        if failure == nil, !decoder.ended { failure = RequestFailure(kind: .malformed, message: decoder.missingEnd) }
    }

    /// Reads an OpenAI `usage` object; nil for `null` or a shape without token counts.
    public static func decodeUsage(_ json: JSONValue) -> Usage? {
        guard let prompt = json["prompt_tokens"]?.intValue else { return nil }
        // Embeddings report no completion tokens.
        guard let completion = json["completion_tokens"]?.intValue ?? (json["total_tokens"]?.intValue).map({ $0 - prompt }) else { return nil }
        return Usage(
            promptTokens: prompt, completionTokens: completion,
            reasoningTokens: json["completion_tokens_details"]?["reasoning_tokens"]?.intValue,
            cachedPromptTokens: json["prompt_tokens_details"]?["cached_tokens"]?.intValue,
            cacheWriteTokens: json["prompt_tokens_details"]?["cache_write_tokens"]?.intValue)
    }

    static func errorMessage(body: [UInt8], json: JSONValue?, status: Int) -> String {
        var detail = ""
        if let json {
            detail = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue ?? json["detail"]?.stringValue
                ?? json["message"]?.stringValue ?? ""
        }
        if detail.isEmpty { detail = String(decoding: body.prefix(300), as: UTF8.self) }
        if detail.count > 300 { detail = String(detail.prefix(300)) + "…" }
        return detail.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(detail)"
    }
}
