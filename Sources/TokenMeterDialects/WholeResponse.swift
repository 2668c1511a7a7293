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
        case .chat, .completions:
            let choice = json["choices"]?[0]
            answer.content = choice?["text"]?.stringValue ?? choice?["message"]?["content"]?.stringValue ?? ""
            answer.reasoning = choice?["message"]?["reasoning_content"]?.stringValue ?? choice?["message"]?["reasoning"]?.stringValue ?? ""
            answer.toolArguments = (choice?["message"]?["tool_calls"]?.arrayValue ?? []).compactMap { $0["function"]?["arguments"]?.stringValue }.joined()
            record.finishReason = choice?["finish_reason"]?.stringValue
            record.usage = json["usage"].flatMap(ResponseInterpreter.decodeUsage)
        case .anthropic:
            for block in json["content"]?.arrayValue ?? [] {
                answer.content += block["text"]?.stringValue ?? ""
                answer.reasoning += block["thinking"]?.stringValue ?? ""
                if block["type"]?.stringValue == "tool_use" { answer.toolArguments += block["input"]?.serialized ?? "" }
            }
            record.finishReason = json["stop_reason"]?.stringValue.map(MessagesStreamDecoder.finishReason)
            if let usage = json["usage"] {
                var counts = AnthropicUsage()
                let bytes = Array(usage.serialized.utf8)
                bytes.withUnsafeBufferPointer { buffer in
                    var p = JSONParser(bytes: buffer)
                    try? counts.scan(&p)
                }
                record.usage = counts.usage
            }
        case .responses:
            for item in json["output"]?.arrayValue ?? [] {
                for part in item["content"]?.arrayValue ?? [] {
                    if item["type"]?.stringValue == "reasoning" { answer.reasoning += part["text"]?.stringValue ?? "" } else {
                        answer.content += part["text"]?.stringValue ?? ""
                    }
                }
                for part in item["summary"]?.arrayValue ?? [] { answer.reasoning += part["text"]?.stringValue ?? "" }
                if item["type"]?.stringValue == "function_call" { answer.toolArguments += item["arguments"]?.stringValue ?? "" }
            }
            let status = json["status"]?.stringValue
            record.finishReason = status == "incomplete" ? "length" : (answer.toolArguments.isEmpty ? "stop" : "tool_calls")
            if let usage = json["usage"] {
                let bytes = Array(usage.serialized.utf8)
                var counts = ResponsesUsage()
                bytes.withUnsafeBufferPointer { buffer in
                    var p = JSONParser(bytes: buffer)
                    try? counts.scan(&p)
                }
                record.usage = counts.usage
            }
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
}
