/// One streamed answer as the server writes it, in its dialect: the frames of each token and of the end. A value that
/// remembers what the dialect needs across frames (the open content block or output item, Responses' sequence numbers and
/// the item's text that its `.done` events repeat).
public struct ServerStream: Sendable {
    /// The answer being written.
    public let completion: ServerEncoding.Completion
    /// The part being written (Anthropic's open content block, Responses' open output item).
    var open: OutputPart?
    /// Anthropic's content-block index, Responses' output index.
    var index = -1
    /// Responses' `sequence_number`.
    var sequence = 0
    /// The open item's text, repeated by Responses' `.done` events.
    var itemText = ""
    var started = false

    /// Starts an answer.
    public init(_ completion: ServerEncoding.Completion) { self.completion = completion }

    /// The frames of one token: the stream's opening frames before the first, a block boundary where the part changes; with
    /// `finish` (chat and completions put it on the last token's chunk), `usage` when it is sent with every chunk.
    public mutating func token(_ piece: String, part: OutputPart, finish: String?, usage: ServerUsage, everyChunk: Bool) -> String {
        let text = ServerEncoding.escape(piece)
        defer { started = true }
        switch completion.api {
        case .anthropic: return messagesToken(text, part: part, usage: usage)
        case .responses: return responsesToken(text, part: part)
        case .chat, .completions, .embeddings:
            let frames = chatToken(text, part: part, finish: finish, usage: everyChunk ? ServerEncoding.usage(usage) : nil)
            open = part
            return frames
        }
    }

    /// The frames after the last token: usage (where the dialect or the request asks for it) and the dialect's end.
    public mutating func finish(_ reason: String, usage: ServerUsage, includeUsage: Bool) -> String {
        switch completion.api {
        case .anthropic: return messagesFinish(reason, usage: usage)
        case .responses: return responsesFinish(reason, usage: usage)
        case .chat, .completions, .embeddings:
            return (includeUsage ? usageChunk(ServerEncoding.usage(usage)) : "") + ServerEncoding.done
        }
    }

    // MARK: chat and completions

    private func chatToken(_ text: String, part: OutputPart, finish: String?, usage: String?) -> String {
        let c = completion
        let finishJSON = finish.map { "\"\($0)\"" } ?? "null"
        guard c.api == .chat else {
            return chunk(#"{"index":0,"text":"\#(text)","logprobs":null,"finish_reason":\#(finishJSON)}"#, usage: usage)
        }
        var frames = started ? "" : chunk(#"{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}"#, usage: nil)
        let delta: String
        switch part {
        case .answer: delta = #"{"content":"\#(text)"}"#
        case .reasoning: delta = #"{"\#(c.reasoningField)":"\#(text)"}"#
        case .tool:
            delta = open == .tool
                ? #"{"tool_calls":[{"index":0,"function":{"arguments":"\#(text)"}}]}"#
                : #"{"tool_calls":[{"index":0,"id":"call_\#(c.number)","type":"function","function":{"name":"lookup","arguments":"\#(text)"}}]}"#
        }
        frames += chunk(#"{"index":0,"delta":\#(delta),"finish_reason":\#(finishJSON)}"#, usage: usage)
        return frames
    }

    private func chunk(_ choice: String, usage: String?) -> String {
        let c = completion
        let usagePart = usage.map { ",\"usage\":\($0)" } ?? ""
        return "data: {\"id\":\"\(c.id)\",\"object\":\"\(c.chunkObject)\",\"created\":\(c.created),\"model\":\"\(c.model)\",\"choices\":[\(choice)]\(usagePart)}\n\n"
    }

    private func usageChunk(_ usage: String) -> String {
        let c = completion
        return "data: {\"id\":\"\(c.id)\",\"object\":\"\(c.chunkObject)\",\"created\":\(c.created),\"model\":\"\(c.model)\",\"choices\":[],\"usage\":\(usage)}\n\n"
    }
}
