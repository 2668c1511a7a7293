/// Anthropic Messages frames (PROTOCOLS.md §4.3): `message_start` with the input and cache usage, a `ping`, one content
/// block per part (thinking with its signature, text, tool use), `message_delta` with the stop reason and the output
/// usage, `message_stop`.
extension ServerStream {
    mutating func messagesToken(_ text: String, part: OutputPart, usage: ServerUsage) -> String {
        var frames = ""
        if !started {
            let c = completion
            frames += event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"\(c.id)\",\"type\":\"message\",\"role\":\"assistant\","
                + "\"model\":\"\(c.model)\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":\(Self.messagesInput(usage))}}")
            frames += event("ping", "{\"type\":\"ping\"}")
        }
        if open != part {
            frames += closeBlock()
            index += 1
            open = part
            let block = switch part {
            case .reasoning: #"{"type":"thinking","thinking":"","signature":""}"#
            case .answer: #"{"type":"text","text":""}"#
            case .tool: #"{"type":"tool_use","id":"toolu_\#(completion.number)","name":"lookup","input":{}}"#
            }
            frames += event("content_block_start", "{\"type\":\"content_block_start\",\"index\":\(index),\"content_block\":\(block)}")
        }
        let delta = switch part {
        case .reasoning: #"{"type":"thinking_delta","thinking":"\#(text)"}"#
        case .answer: #"{"type":"text_delta","text":"\#(text)"}"#
        case .tool: #"{"type":"input_json_delta","partial_json":"\#(text)"}"#
        }
        return frames + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":\(index),\"delta\":\(delta)}")
    }

    mutating func messagesFinish(_ reason: String, usage: ServerUsage) -> String {
        let stop = switch reason {
        case "length": "max_tokens"
        case "tool_calls": "tool_use"
        default: "end_turn"
        }
        let thinking = usage.reasoning > 0 ? ",\"output_tokens_details\":{\"thinking_tokens\":\(usage.reasoning)}" : ""
        return closeBlock()
            + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"\(stop)\",\"stop_sequence\":null},"
                + "\"usage\":{\"output_tokens\":\(usage.completion)\(thinking)}}")
            + event("message_stop", "{\"type\":\"message_stop\"}")
    }

    private mutating func closeBlock() -> String {
        guard let part = open else { return "" }
        open = nil
        let signature = part == .reasoning
            ? event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":\(index),\"delta\":{\"type\":\"signature_delta\",\"signature\":\"sig-\(completion.number)\"}}")
            : ""
        return signature + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":\(index)}")
    }

    /// `message_start`'s usage: `input_tokens` is the input neither read from nor written to the cache.
    static func messagesInput(_ u: ServerUsage) -> String {
        let read = u.cached ?? 0
        let fiveMinutes = u.cacheTTL == "1h" ? 0 : u.cacheWrite
        return "{\"input_tokens\":\(max(0, u.prompt - read - u.cacheWrite)),\"cache_creation_input_tokens\":\(u.cacheWrite),"
            + "\"cache_read_input_tokens\":\(read),\"cache_creation\":{\"ephemeral_5m_input_tokens\":\(fiveMinutes),"
            + "\"ephemeral_1h_input_tokens\":\(u.cacheWrite - fiveMinutes)},\"output_tokens\":1}"
    }

    func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }
}

extension ServerEncoding {
    /// A whole Anthropic message: thinking, text and tool-use blocks, the stop reason and the usage.
    public static func wholeMessage(_ c: Completion, reasoning: String, answer: String, tool: String, finish: String, usage u: ServerUsage) -> String {
        var blocks: [String] = []
        if !reasoning.isEmpty { blocks.append("{\"type\":\"thinking\",\"thinking\":\"\(escape(reasoning))\",\"signature\":\"sig-\(c.number)\"}") }
        if !answer.isEmpty { blocks.append("{\"type\":\"text\",\"text\":\"\(escape(answer))\"}") }
        if !tool.isEmpty { blocks.append("{\"type\":\"tool_use\",\"id\":\"toolu_\(c.number)\",\"name\":\"lookup\",\"input\":\(tool)}") }
        let stop = finish == "length" ? "max_tokens" : finish == "tool_calls" ? "tool_use" : "end_turn"
        var usage = ServerStream.messagesInput(u)
        usage.removeLast("\"output_tokens\":1}".count)
        let thinking = u.reasoning > 0 ? ",\"output_tokens_details\":{\"thinking_tokens\":\(u.reasoning)}" : ""
        usage += "\"output_tokens\":\(u.completion)\(thinking)}"
        return "{\"id\":\"\(c.id)\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"\(c.model)\",\"content\":[\(blocks.joined(separator: ","))],"
            + "\"stop_reason\":\"\(stop)\",\"stop_sequence\":null,\"usage\":\(usage)}"
    }
}
