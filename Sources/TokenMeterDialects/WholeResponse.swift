import TokenMeterCore
import TokenMeterHTTP

/// A whole (non-streamed) answer in each dialect: chat and completions choices, an Anthropic message's content blocks, a
/// Responses object's output items, an embeddings list.
enum WholeResponse {
    static func decode(_ raw: RawResponse, api: APIKind, into record: inout RequestRecord, failure: inout RequestFailure?) {
        let json: JSONValue
        do {
            json = try JSONValue.parse(raw.body)
        } catch {
            failure = RequestFailure(kind: .malformed, message: "response body is not JSON (\(error))")
            return
        }
        if let error = json["error"], !error.isNull, error.boolValue != false {
            failure = ErrorClassifier.failure(error)
            return
        }
        if json["object"]?.stringValue == "error" {
            failure = RequestFailure(kind: .serverError, message: json["message"]?.stringValue ?? json.serialized)
            return
        }
        record.responseID = json["id"]?.stringValue
        var answer = StreamEvent(timeNanoseconds: raw.endNanoseconds ?? 0, readIndex: 0)
        switch api {
        case .chat, .completions: chat(json, into: &record, answer: &answer)
        case .anthropic: message(json, into: &record, answer: &answer)
        case .responses: response(json, into: &record, answer: &answer)
        case .embeddings:
            guard let data = json["data"]?.arrayValue, !data.isEmpty else {
                failure = RequestFailure(kind: .malformed, message: "an embeddings answer without data[]")
                return
            }
            record.usage = json["usage"].flatMap(ResponseInterpreter.decodeUsage)
            record.events = []
            return
        }
        record.events = [answer]
        if answer.isTokenBearing, let completion = record.usage?.completionTokens { record.events[0].tokens = completion }
    }

    static func chat(_ json: JSONValue, into record: inout RequestRecord, answer: inout StreamEvent) {
        let choice = json["choices"]?[0]
        answer.content = choice?["text"]?.stringValue ?? choice?["message"]?["content"]?.stringValue ?? ""
        answer.reasoning = choice?["message"]?["reasoning_content"]?.stringValue ?? choice?["message"]?["reasoning"]?.stringValue ?? ""
        answer.toolArguments = (choice?["message"]?["tool_calls"]?.arrayValue ?? []).compactMap { $0["function"]?["arguments"]?.stringValue }.joined()
        record.finishReason = choice?["finish_reason"]?.stringValue
        record.usage = json["usage"].flatMap(ResponseInterpreter.decodeUsage)
    }

    static func message(_ json: JSONValue, into record: inout RequestRecord, answer: inout StreamEvent) {
        for block in json["content"]?.arrayValue ?? [] {
            answer.content += block["text"]?.stringValue ?? ""
            answer.reasoning += block["thinking"]?.stringValue ?? ""
            if block["type"]?.stringValue == "tool_use" { answer.toolArguments += block["input"]?.serialized ?? "" }
        }
        record.finishReason = json["stop_reason"]?.stringValue.map(MessagesStreamDecoder.finishReason)
        if let usage = json["usage"] {
            var counts = AnthropicUsage()
            scan(usage) { p throws(JSONParseError) in try counts.scan(&p) }
            record.usage = counts.usage
        }
    }

    static func response(_ json: JSONValue, into record: inout RequestRecord, answer: inout StreamEvent) {
        for item in json["output"]?.arrayValue ?? [] {
            let reasoning = item["type"]?.stringValue == "reasoning"
            for part in item["content"]?.arrayValue ?? [] {
                if reasoning { answer.reasoning += part["text"]?.stringValue ?? "" } else { answer.content += part["text"]?.stringValue ?? "" }
            }
            for part in item["summary"]?.arrayValue ?? [] { answer.reasoning += part["text"]?.stringValue ?? "" }
            if item["type"]?.stringValue == "function_call" { answer.toolArguments += item["arguments"]?.stringValue ?? "" }
        }
        record.finishReason = json["status"]?.stringValue == "incomplete" ? "length" : (answer.toolArguments.isEmpty ? "stop" : "tool_calls")
        if let usage = json["usage"] {
            var counts = ResponsesUsage()
            scan(usage) { p throws(JSONParseError) in try counts.scan(&p) }
            record.usage = counts.usage
        }
    }

    /// Runs a scanner over a value already parsed (a whole answer's usage), so whole and streamed answers read usage alike.
    static func scan(_ value: JSONValue, _ body: (inout JSONParser) throws(JSONParseError) -> Void) {
        Array(value.serialized.utf8).withUnsafeBufferPointer { buffer in
            var p = JSONParser(bytes: buffer)
            try? body(&p)
        }
    }
}
