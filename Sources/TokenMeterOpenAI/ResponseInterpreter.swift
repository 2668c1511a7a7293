import TokenMeterCore
import TokenMeterHTTP

/// Turns a raw exchange into a request record: decodes the events, finds usage, finish and errors.
///
/// Runs after the stream has ended, off the timing path.
public enum ResponseInterpreter {
    /// Fills `record` from `raw`.
    public static func apply(_ raw: RawResponse, streamed: Bool, to record: inout RequestRecord) {
        record.sentNanoseconds = raw.sentNanoseconds
        record.responseHeadNanoseconds = raw.headNanoseconds
        record.completedNanoseconds = raw.endNanoseconds
        record.httpStatus = raw.status
        record.connectionRetries = raw.connectionRetries
        record.streamed = streamed

        if let status = raw.status, !(200..<300).contains(status) {
            record.failure = RequestFailure(kind: .httpStatus, message: errorMessage(body: raw.body, status: status), httpStatus: status)
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
            decodeStream(raw, into: &record, failure: &failure)
        } else if failure == nil {
            decodeBody(raw, into: &record, failure: &failure)
        }
        record.failure = failure
    }

    private static func decodeStream(_ raw: RawResponse, into record: inout RequestRecord, failure: inout RequestFailure?) {
        var sawDone = false
        var lastCompletion = 0
        var frames = 0
        var events: [StreamEvent] = []
        events.reserveCapacity(raw.events.count)
        for (index, rawEvent) in raw.events.enumerated() {
            if rawEvent.data.elementsEqual("[DONE]".utf8) {
                sawDone = true
                continue
            }
            let chunk: ChunkFields
            do {
                chunk = try ChunkScanner.scan(rawEvent.data)
            } catch {
                if failure == nil {
                    failure = RequestFailure(kind: .malformed, message: "event \(index + 1) is not JSON (\(error))")
                }
                break
            }
            if let message = chunk.error {
                if failure == nil { failure = RequestFailure(kind: .serverError, message: message) }
                break
            }
            let content = chunk.content
            let reasoning = chunk.reasoning
            if let finish = chunk.finishReason { record.finishReason = finish }
            var tokens: Int?
            if let usage = chunk.usage {
                if let previous = record.usage, usage.completionTokens < previous.completionTokens { record.usageDecreased = true }
                frames += 1
                record.usage = usage
                if !content.isEmpty || !reasoning.isEmpty {
                    tokens = max(0, usage.completionTokens - lastCompletion)
                }
                lastCompletion = usage.completionTokens
            }
            events.append(StreamEvent(timeNanoseconds: rawEvent.timeNanoseconds, readIndex: rawEvent.readIndex,
                                      content: content, reasoning: reasoning, tokens: tokens))
        }
        // Token deltas are only trusted when every token-bearing event carried one.
        let bearing = events.filter { !$0.content.isEmpty || !$0.reasoning.isEmpty }
        if bearing.contains(where: { $0.tokens == nil }) {
            for i in events.indices { events[i].tokens = nil }
        }
        record.events = events
        if frames > 1 { record.usageFrames = frames }
        if failure == nil, !sawDone, record.finishReason == nil {
            failure = RequestFailure(kind: .malformed, message: "stream ended without [DONE] or a finish_reason")
        }
    }

    private static func decodeBody(_ raw: RawResponse, into record: inout RequestRecord, failure: inout RequestFailure?) {
        let json: JSONValue
        do {
            json = try JSONValue.parse(raw.body)
        } catch {
            failure = RequestFailure(kind: .malformed, message: "response body is not JSON (\(error))")
            return
        }
        if let message = serverError(json) {
            failure = RequestFailure(kind: .serverError, message: message)
            return
        }
        let choice = json["choices"]?[0]
        let content = choice?["text"]?.stringValue ?? choice?["message"]?["content"]?.stringValue ?? ""
        let reasoning = choice?["message"]?["reasoning_content"]?.stringValue ?? choice?["message"]?["reasoning"]?.stringValue ?? ""
        record.finishReason = choice?["finish_reason"]?.stringValue
        record.usage = json["usage"].flatMap(decodeUsage)
        record.events = [StreamEvent(timeNanoseconds: raw.endNanoseconds ?? 0, readIndex: 0, content: content, reasoning: reasoning,
                                     tokens: record.usage?.completionTokens)]
    }

    /// Reads an OpenAI `usage` object; nil for `null` or a shape without token counts.
    public static func decodeUsage(_ json: JSONValue) -> Usage? {
        guard let prompt = json["prompt_tokens"]?.intValue, let completion = json["completion_tokens"]?.intValue else { return nil }
        return Usage(
            promptTokens: prompt, completionTokens: completion,
            reasoningTokens: json["completion_tokens_details"]?["reasoning_tokens"]?.intValue,
            cachedPromptTokens: json["prompt_tokens_details"]?["cached_tokens"]?.intValue)
    }

    private static func serverError(_ json: JSONValue) -> String? {
        if let error = json["error"], !error.isNull {
            return error["message"]?.stringValue ?? error.stringValue ?? error.serialized
        }
        if json["object"]?.stringValue == "error" { return json["message"]?.stringValue ?? json.serialized }
        return nil
    }

    private static func errorMessage(body: [UInt8], status: Int) -> String {
        var detail = ""
        if let json = try? JSONValue.parse(body) {
            detail = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue ?? json["detail"]?.stringValue
                ?? json["message"]?.stringValue ?? ""
        }
        if detail.isEmpty { detail = String(decoding: body.prefix(300), as: UTF8.self) }
        if detail.count > 300 { detail = String(detail.prefix(300)) + "…" }
        return detail.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(detail)"
    }
}
