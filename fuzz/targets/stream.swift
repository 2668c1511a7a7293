// Fuzz target: every dialect's stream decoder (chat/completions, Anthropic Messages, OpenAI Responses) and the whole JSON
// parser on any event payload: each either decodes or throws a JSONParseError; nothing traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Array(UnsafeRawBufferPointer(start: start, count: count))
    var chat = ChatStreamDecoder()
    var messages = MessagesStreamDecoder()
    var responses = ResponsesStreamDecoder()
    _ = try? chat.decode(data)
    _ = try? messages.decode(data)
    _ = try? responses.decode(data)
    _ = chat.usage
    _ = messages.usage
    _ = responses.usage
    _ = try? JSONValue.parse(data)
    return 0
}
