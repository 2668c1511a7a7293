/// OpenAI Responses frames (PROTOCOLS.md §3.2): `response.created` and `.in_progress`, one output item per part (a
/// reasoning item with raw reasoning text, a message with an output-text part, a function call), each delta and each
/// `.done` that repeats the item's text, and `response.completed` (or `.incomplete` at `max_output_tokens`) with the usage.
extension ServerStream {
    mutating func responsesToken(_ text: String, part: OutputPart) -> String {
        var frames = ""
        if !started {
            frames += responsesEvent("response.created", "\"response\":\(responseObject(status: "in_progress", usage: nil))")
            frames += responsesEvent("response.in_progress", "\"response\":\(responseObject(status: "in_progress", usage: nil))")
        }
        if open != part {
            frames += closeItem()
            index += 1
            open = part
            frames += responsesEvent("response.output_item.added", "\"output_index\":\(index),\"item\":\(item(part, done: false))")
            if part == .answer {
                frames += responsesEvent("response.content_part.added", "\"item_id\":\"\(itemID(part))\",\"output_index\":\(index),\"content_index\":0,"
                    + "\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}")
            }
        }
        itemText += text
        let type = switch part {
        case .reasoning: "response.reasoning_text.delta"
        case .answer: "response.output_text.delta"
        case .tool: "response.function_call_arguments.delta"
        }
        let content = part == .tool ? "" : "\"content_index\":0,"
        return frames + responsesEvent(type, "\"item_id\":\"\(itemID(part))\",\"output_index\":\(index),\(content)\"delta\":\"\(text)\"")
    }

    mutating func responsesFinish(_ reason: String, usage: ServerUsage) -> String {
        let status = reason == "length" ? "incomplete" : "completed"
        return closeItem() + responsesEvent("response.\(status)", "\"response\":\(responseObject(status: status, usage: usage))")
    }

    private mutating func closeItem() -> String {
        guard let part = open else { return "" }
        let id = itemID(part)
        var frames: String
        switch part {
        case .reasoning:
            frames = responsesEvent("response.reasoning_text.done", "\"item_id\":\"\(id)\",\"output_index\":\(index),\"content_index\":0,\"text\":\"\(itemText)\"")
        case .answer:
            frames = responsesEvent("response.output_text.done", "\"item_id\":\"\(id)\",\"output_index\":\(index),\"content_index\":0,\"text\":\"\(itemText)\"")
            frames += responsesEvent("response.content_part.done", "\"item_id\":\"\(id)\",\"output_index\":\(index),\"content_index\":0,"
                + "\"part\":{\"type\":\"output_text\",\"text\":\"\(itemText)\",\"annotations\":[]}")
        case .tool:
            frames = responsesEvent("response.function_call_arguments.done", "\"item_id\":\"\(id)\",\"output_index\":\(index),\"name\":\"lookup\",\"arguments\":\"\(itemText)\"")
        }
        frames += responsesEvent("response.output_item.done", "\"output_index\":\(index),\"item\":\(item(part, done: true))")
        open = nil
        itemText = ""
        return frames
    }

    private func itemID(_ part: OutputPart) -> String {
        switch part {
        case .reasoning: "rs_\(completion.number)_\(index)"
        case .answer: "msg_\(completion.number)_\(index)"
        case .tool: "fc_\(completion.number)_\(index)"
        }
    }

    private func item(_ part: OutputPart, done: Bool) -> String {
        let id = itemID(part)
        let status = done ? "completed" : "in_progress"
        switch part {
        case .reasoning:
            let content = done ? "[{\"type\":\"reasoning_text\",\"text\":\"\(itemText)\"}]" : "[]"
            return "{\"id\":\"\(id)\",\"type\":\"reasoning\",\"summary\":[],\"content\":\(content)}"
        case .answer:
            let content = done ? "[{\"type\":\"output_text\",\"text\":\"\(itemText)\",\"annotations\":[]}]" : "[]"
            return "{\"id\":\"\(id)\",\"type\":\"message\",\"role\":\"assistant\",\"status\":\"\(status)\",\"content\":\(content)}"
        case .tool:
            return "{\"id\":\"\(id)\",\"type\":\"function_call\",\"call_id\":\"call_\(completion.number)\",\"name\":\"lookup\","
                + "\"arguments\":\"\(done ? itemText : "")\",\"status\":\"\(status)\"}"
        }
    }

    private func responseObject(status: String, usage: ServerUsage?) -> String {
        let c = completion
        let incomplete = status == "incomplete" ? "{\"reason\":\"max_output_tokens\"}" : "null"
        return "{\"id\":\"\(c.id)\",\"object\":\"response\",\"created_at\":\(c.created),\"status\":\"\(status)\",\"model\":\"\(c.model)\","
            + "\"incomplete_details\":\(incomplete),\"output\":[],\"usage\":\(usage.map(ServerEncoding.responsesUsage) ?? "null")}"
    }

    private mutating func responsesEvent(_ type: String, _ members: String) -> String {
        defer { sequence += 1 }
        return "event: \(type)\ndata: {\"type\":\"\(type)\",\"sequence_number\":\(sequence),\(members)}\n\n"
    }
}

extension ServerEncoding {
    /// The Responses `usage` object.
    public static func responsesUsage(_ u: ServerUsage) -> String {
        "{\"input_tokens\":\(u.prompt),\"input_tokens_details\":{\"cached_tokens\":\(u.cached ?? 0),\"cache_write_tokens\":\(u.cacheWrite)},"
            + "\"output_tokens\":\(u.completion),\"output_tokens_details\":{\"reasoning_tokens\":\(u.reasoning)},\"total_tokens\":\(u.prompt + u.completion)}"
    }

    /// A whole Responses object: a reasoning item, a message, a function call, as generated; `incomplete` at the length limit.
    public static func wholeResponse(_ c: Completion, reasoning: String, answer: String, tool: String, finish: String, usage: ServerUsage) -> String {
        var items: [String] = []
        if !reasoning.isEmpty {
            items.append("{\"id\":\"rs_\(c.number)\",\"type\":\"reasoning\",\"summary\":[],\"content\":[{\"type\":\"reasoning_text\",\"text\":\"\(escape(reasoning))\"}]}")
        }
        if !answer.isEmpty {
            items.append("{\"id\":\"msg_\(c.number)\",\"type\":\"message\",\"role\":\"assistant\",\"status\":\"completed\","
                + "\"content\":[{\"type\":\"output_text\",\"text\":\"\(escape(answer))\",\"annotations\":[]}]}")
        }
        if !tool.isEmpty {
            items.append("{\"id\":\"fc_\(c.number)\",\"type\":\"function_call\",\"call_id\":\"call_\(c.number)\",\"name\":\"lookup\",\"arguments\":\"\(escape(tool))\",\"status\":\"completed\"}")
        }
        let status = finish == "length" ? "incomplete" : "completed"
        let incomplete = status == "incomplete" ? "{\"reason\":\"max_output_tokens\"}" : "null"
        return "{\"id\":\"\(c.id)\",\"object\":\"response\",\"created_at\":\(c.created),\"status\":\"\(status)\",\"model\":\"\(c.model)\","
            + "\"incomplete_details\":\(incomplete),\"output\":[\(items.joined(separator: ","))],\"usage\":\(responsesUsage(usage))}"
    }

    /// A whole chat or completions answer.
    public static func whole(_ c: Completion, reasoning: String, answer: String, tool: String, finish: String, usage u: ServerUsage) -> String {
        let body = escape(answer)
        var message = "\"role\":\"assistant\",\"content\":\"\(body)\""
        if !reasoning.isEmpty { message += ",\"\(c.reasoningField)\":\"\(escape(reasoning))\"" }
        if !tool.isEmpty {
            message += ",\"tool_calls\":[{\"id\":\"call_\(c.number)\",\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":\"\(escape(tool))\"}}]"
        }
        let choice = c.api == .chat
            ? #"{"index":0,"message":{\#(message)},"finish_reason":"\#(finish)"}"#
            : #"{"index":0,"text":"\#(escape(reasoning + answer))","logprobs":null,"finish_reason":"\#(finish)"}"#
        return "{\"id\":\"\(c.id)\",\"object\":\"\(c.api == .chat ? "chat.completion" : "text_completion")\",\"created\":\(c.created),"
            + "\"model\":\"\(c.model)\",\"choices\":[\(choice)],\"usage\":\(usage(u))}"
    }
}
