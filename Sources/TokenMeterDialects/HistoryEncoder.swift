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

/// Request bodies of one conversation, in the run's dialect. Each message is encoded once; a call's body is a small head,
/// the encoded messages (shared with every earlier and later call), and a small tail, written as parts. So a turn builds
/// only its new message, not the whole history again. Chat sends the system prompt as a message, Anthropic as `system`,
/// Responses as `instructions`; a chained Responses conversation sends only what followed the response it continues.
public struct HistoryEncoder: Sendable {
    /// The run's request options.
    public let options: RequestOptions
    /// The endpoint.
    public let address: EndpointAddress
    private var encoded: [UInt64: ByteBuffer] = [:]
    /// The messages the last stored Responses answer covered (its prompt and itself), and its id.
    private var chain: (ids: [UInt64], responseID: String)?
    /// Bytes encoded so far (new messages, heads and tails; not the parts reused).
    public private(set) var bytesEncoded = 0

    static let comma = ByteBuffer(string: ",")
    static let escapedNewline = ByteBuffer(string: "\\n")

    /// Creates an encoder.
    public init(options: RequestOptions, address: EndpointAddress) {
        self.options = options
        self.address = address
    }

    /// Notes a Responses call's answer: with `chainResponses`, the next call continues from `responseID` and sends only the
    /// messages after `messages` and the answer.
    public mutating func answered(_ messages: [HistoryMessage], responseID: String?) {
        guard options.api == .responses, options.chainResponses, let responseID else { return }
        chain = (messages.map(\.id), responseID)
    }

    /// The request for a call with this history, asking for `maxTokens` (streamed as `stream` says, or as the run does).
    public mutating func request(_ messages: [HistoryMessage], maxTokens: Int, stream: Bool? = nil) -> PreparedRequest {
        var options = self.options
        if let stream { options.stream = stream && options.api.generates }
        let api = options.api
        let model = JSONValue.string(options.model).serialized
        var head = "{\"model\":\(model),"
        var sent = messages
        if api == .anthropic || api == .responses {
            let system = messages.filter { $0.role == "system" || $0.role == "developer" }.map(\.text)
            sent = messages.filter { $0.role != "system" && $0.role != "developer" }
            if !system.isEmpty { head += systemMember(system.joined(separator: "\n"), api: api) + "," }
            if api == .responses, let chain, messages.count > chain.ids.count, messages.prefix(chain.ids.count).map(\.id) == chain.ids {
                sent = messages.dropFirst(chain.ids.count).filter { $0.role != "system" && $0.role != "developer" }
                if sent.first?.role == "assistant" { sent.removeFirst() }  // the answer the server stored
                head += "\"previous_response_id\":\(JSONValue.string(chain.responseID).serialized),"
            }
        }
        let chat = api.takesMessages
        let opening = switch api {
        case .responses: "\"input\":["
        case .chat, .anthropic: "\"messages\":["
        case .completions: "\"prompt\":\""
        case .embeddings: "\"input\":\""
        }
        head += opening
        var parts: [ByteBuffer] = [buffer(head)]
        for (i, message) in sent.enumerated() {
            if i > 0 { parts.append(chat ? Self.comma : Self.escapedNewline) }
            let last = i == sent.count - 1
            parts.append(api == .anthropic && last && options.cacheTTL != nil ? cachedPart(message) : part(message, chat: chat))
        }
        var tail = JSONValue.object(RequestBuilder.generationMembers(maxTokens: maxTokens, options: options))
        if let extra = options.extraBody { tail = tail.merging(extra.removing(["model", "messages", "prompt", "input", "system", "instructions"])) }
        let members = tail.serialized.dropFirst()  // `"max_tokens":…}` without its opening brace
        parts.append(buffer((chat ? "]" : "\"") + (members == "}" ? "}" : "," + members)))
        if encoded.count > 2 * messages.count + 16 {
            let kept = Set(messages.map(\.id))
            encoded = encoded.filter { kept.contains($0.key) }
        }
        return PreparedRequest(uri: RequestBuilder.route(options, address), headers: RequestBuilder.headers(options, address), bodyParts: parts,
                               expectsEventStream: options.stream)
    }

    /// Anthropic's `system` (a cached text block with `cacheTTL`) or Responses' `instructions`.
    func systemMember(_ text: String, api: APIKind) -> String {
        if api == .responses { return "\"instructions\":\(JSONValue.string(text).serialized)" }
        return "\"system\":\(RequestBuilder.anthropicSystem(text, options: options).serialized)"
    }

    /// A message's encoding: `{"role":…,"content":…}` for the message dialects, its escaped text for a prompt.
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

    /// The last message of an Anthropic call marked as a cache breakpoint (not kept: next turn it is not the last).
    mutating func cachedPart(_ message: HistoryMessage) -> ByteBuffer {
        let json = RequestBuilder.anthropicMessage(.object([("role", .string(message.role)), ("content", .string(message.text))]),
                                                   cached: options.cacheTTL)
        return buffer(json.serialized)
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
