import NIOCore
import TokenMeterCore
import TokenMeterHTTP

/// One message of a conversation's history, as the encoder sees it.
public struct HistoryMessage: Sendable {
    /// A stable identity: the same message keeps its encoding from turn to turn.
    public var id: UInt64
    /// `system`, `user` or `assistant`.
    public var role: String
    /// Its text.
    public var text: String

    /// Creates a message.
    public init(id: UInt64, role: String, text: String) {
        self.id = id
        self.role = role
        self.text = text
    }
}

/// Request bodies of one conversation. Each message is encoded once; a call's body is a small head, the encoded messages
/// (shared with every earlier and later call), and a small tail, written as parts. So a turn builds only its new message,
/// not the whole history again.
public struct HistoryEncoder: Sendable {
    /// The run's request options.
    public let options: RequestOptions
    /// The endpoint.
    public let address: EndpointAddress
    private var encoded: [UInt64: ByteBuffer] = [:]
    /// Bytes encoded so far (new messages, heads and tails; not the parts reused).
    public private(set) var bytesEncoded = 0

    static let comma = ByteBuffer(string: ",")
    static let escapedNewline = ByteBuffer(string: "\\n")

    /// Creates an encoder.
    public init(options: RequestOptions, address: EndpointAddress) {
        self.options = options
        self.address = address
    }

    /// The request for a call with this history, asking for `maxTokens` (streamed as `stream` says, or as the run does).
    public mutating func request(_ messages: [HistoryMessage], maxTokens: Int, stream: Bool? = nil) -> PreparedRequest {
        var options = self.options
        if let stream { options.stream = stream }
        let chat = options.api == .chat
        var parts: [ByteBuffer] = [buffer(chat ? "{\"model\":\(JSONValue.string(options.model).serialized),\"messages\":["
            : "{\"model\":\(JSONValue.string(options.model).serialized),\"prompt\":\"")]
        for (i, message) in messages.enumerated() {
            if i > 0 { parts.append(chat ? Self.comma : Self.escapedNewline) }
            parts.append(part(message, chat: chat))
        }
        var tail = JSONValue.object(RequestBuilder.generationMembers(maxTokens: maxTokens, options: options))
        if let extra = options.extraBody { tail = tail.merging(extra.removing(["model", "messages", "prompt"])) }
        let members = tail.serialized.dropFirst()  // `"max_tokens":…}` without its opening brace
        parts.append(buffer((chat ? "]," : "\",") + members))
        if encoded.count > 2 * messages.count + 16 {
            let kept = Set(messages.map(\.id))
            encoded = encoded.filter { kept.contains($0.key) }
        }
        return PreparedRequest(uri: RequestBuilder.route(options, address), headers: RequestBuilder.headers(options, address), bodyParts: parts,
                               expectsEventStream: options.stream)
    }

    /// A message's encoding: `{"role":…,"content":…}` for chat, its escaped text for a completions prompt.
    mutating func part(_ message: HistoryMessage, chat: Bool) -> ByteBuffer {
        if let known = encoded[message.id] { return known }
        let text: String
        if chat {
            text = JSONValue.object([("role", .string(message.role)), ("content", .string(message.text))]).serialized
        } else {
            let quoted = JSONValue.string(message.text).serialized
            text = String(quoted.dropFirst().dropLast())
        }
        let part = buffer(text)
        encoded[message.id] = part
        return part
    }

    mutating func buffer(_ text: some StringProtocol) -> ByteBuffer {
        bytesEncoded += text.utf8.count
        return ByteBuffer(string: String(text))
    }
}

extension JSONValue {
    /// The object without these members.
    func removing(_ names: Set<String>) -> JSONValue {
        guard case let .object(members) = self else { return self }
        return .object(members.filter { !names.contains($0.0) })
    }
}
