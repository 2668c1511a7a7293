import NIOCore
import NIOHTTP1
import TokenMeterCore
import TokenMeterModel
import TokenMeterOpenAI

/// What a generation request asks for, read from its JSON body.
struct GenerateRequest {
    var chat: Bool
    var model: String?
    var promptTokens: Int
    var maxTokens: Int
    var minTokens: Int
    var ignoreEOS: Bool
    var stream: Bool
    var includeUsage: Bool
    var continuousUsage: Bool
    /// The prompt's token ids, kept when the target has a prefix cache.
    var promptIDs: [UInt32] = []
    /// The prompt's text, kept when the target records prompts.
    var prompt: String?

    /// Reads a `/v1/completions` or `/v1/chat/completions` body; the error message says what is wrong with it.
    static func parse(_ json: JSONValue, chat: Bool, configuration: TargetConfiguration) -> Result<GenerateRequest, TargetError> {
        let promptText: String
        if chat {
            guard let text = TargetHTTPHandler.messagesText(json["messages"]) else {
                return .failure(TargetError("'messages' must be an array of {role, content}"))
            }
            promptText = text
        } else {
            guard let text = json["prompt"]?.stringValue else { return .failure(TargetError("'prompt' must be a string")) }
            promptText = text
        }
        let maxTokens = json["max_completion_tokens"]?.intValue ?? json["max_tokens"]?.intValue ?? (chat ? 256 : 16)
        guard maxTokens >= 1 else { return .failure(TargetError("max_tokens must be at least 1")) }
        let options = json["stream_options"]
        var request = GenerateRequest(
            chat: chat, model: json["model"]?.stringValue, promptTokens: WordTokenizer.count(promptText), maxTokens: maxTokens,
            minTokens: json["min_tokens"]?.intValue ?? 0, ignoreEOS: json["ignore_eos"]?.boolValue ?? false,
            stream: json["stream"]?.boolValue ?? false, includeUsage: options?["include_usage"]?.boolValue ?? false,
            continuousUsage: options?["continuous_usage_stats"]?.boolValue ?? false)
        if configuration.prefixCacheTokens > 0 {
            request.promptIDs = WordTokenizer.ids(promptText).map(UInt32.init)
        }
        if configuration.recordPrompts { request.prompt = promptText }
        return .success(request)
    }
}

/// A request the target refuses, in words for the client.
struct TargetError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Routes HTTP requests to the engine and the informational endpoints.
final class TargetHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let engine: EngineLoop
    private let configuration: TargetConfiguration
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    private var current: Sequence?

    init(engine: EngineLoop, configuration: TargetConfiguration) {
        self.engine = engine
        self.configuration = configuration
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(h):
            head = h
            body.removeAll(keepingCapacity: true)
            tooLarge = false
        case let .body(buffer):
            if body.count + buffer.readableBytes > configuration.maxRequestBytes {
                tooLarge = true
            } else {
                buffer.withUnsafeReadableBytes { body.append(contentsOf: $0) }
            }
        case .end:
            guard let head else { return }
            self.head = nil
            route(head, channel: context.channel)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let current, !current.done { engine.abort(current) }
        current = nil
        context.fireChannelInactive()
    }

    static let routes: Set<String> = ["/v1/models", "/health", "/metrics", "/tokenize", "/v1/completions", "/v1/chat/completions"]

    private func route(_ head: HTTPRequestHead, channel: any Channel) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let keepAlive = head.isKeepAlive
        if tooLarge {
            let message = "request body exceeds \(configuration.maxRequestBytes) bytes"
            Self.respond(channel: channel, status: .payloadTooLarge, body: ServerEncoding.error(message), keepAlive: false)
            return
        }
        switch (head.method, path) {
        case (.GET, "/v1/models"):
            let models = ServerEncoding.models(configuration.modelName, maxModelLength: TargetConfiguration.maxModelLength)
            Self.respond(channel: channel, status: .ok, body: models, keepAlive: keepAlive)
        case (.GET, "/health"):
            Self.respond(channel: channel, status: .ok, body: "{}", keepAlive: keepAlive)
        case (.GET, "/metrics"):
            Self.respond(channel: channel, status: .ok, body: prometheus(), keepAlive: keepAlive, contentType: "text/plain; version=0.0.4")
        case (.POST, "/tokenize"):
            tokenize(channel: channel, keepAlive: keepAlive)
        case (.POST, "/v1/completions"), (.POST, "/v1/chat/completions"):
            generate(head, chat: path == "/v1/chat/completions", channel: channel, keepAlive: keepAlive)
        case (_, _) where Self.routes.contains(path):
            let message = "method \(head.method) not allowed on \(path)"
            Self.respond(channel: channel, status: .methodNotAllowed, body: ServerEncoding.error(message), keepAlive: keepAlive)
        default:
            Self.respond(channel: channel, status: .notFound, body: ServerEncoding.error("no route \(path)"), keepAlive: keepAlive)
        }
    }

    private func parseBody(channel: any Channel, keepAlive: Bool) -> JSONValue? {
        do {
            let json = try JSONValue.parse(body)
            guard case .object = json else { throw JSONParseError(offset: 0, reason: "expected a JSON object") }
            return json
        } catch {
            Self.respond(channel: channel, status: .badRequest, body: ServerEncoding.error("invalid JSON body: \(error)"), keepAlive: keepAlive)
            return nil
        }
    }

    private func tokenize(channel: any Channel, keepAlive: Bool) {
        guard let json = parseBody(channel: channel, keepAlive: keepAlive) else { return }
        let text = json["prompt"]?.stringValue ?? json["content"]?.stringValue ?? Self.messagesText(json["messages"]) ?? ""
        let body = ServerEncoding.tokenized(WordTokenizer.ids(text), maxModelLength: TargetConfiguration.maxModelLength)
        Self.respond(channel: channel, status: .ok, body: body, keepAlive: keepAlive)
    }

    static func messagesText(_ messages: JSONValue?) -> String? {
        guard case let .array(items)? = messages else { return nil }
        return items.compactMap { $0["content"]?.stringValue }.joined(separator: "\n")
    }

    private func generate(_ head: HTTPRequestHead, chat: Bool, channel: any Channel, keepAlive: Bool) {
        guard let json = parseBody(channel: channel, keepAlive: keepAlive) else { return }
        let request: GenerateRequest
        switch GenerateRequest.parse(json, chat: chat, configuration: configuration) {
        case let .success(parsed): request = parsed
        case let .failure(error):
            Self.respond(channel: channel, status: .badRequest, body: ServerEncoding.error(error.message), keepAlive: keepAlive)
            return
        }
        let fault = engine.drawFault()
        if let fault, answeredBeforeTheEngine(fault, channel: channel, keepAlive: keepAlive) { return }
        let completion = engine.makeCompletion(chat: chat, model: request.model ?? configuration.modelName)
        let sequence = Sequence(completion: completion, requestID: head.headers.first(name: "x-request-id") ?? String(completion.number),
                                request: request, keepAlive: keepAlive, channel: channel)
        current = sequence
        if let fault, fault.midStream, request.stream {
            sequence.fault = fault
            sequence.faultAtToken = max(1, request.maxTokens / 2)
        }
        if fault == .slowHeaders {
            let engine = NIOLoopBound(self.engine, eventLoop: channel.eventLoop)
            let delayed = NIOLoopBound(sequence, eventLoop: channel.eventLoop)
            channel.eventLoop.scheduleTask(in: .milliseconds(Int64(configuration.faults.slowHeadersMilliseconds))) {
                engine.value.submit(delayed.value)
            }
        } else {
            engine.submit(sequence)
        }
    }

    /// Answers a request whose fault strikes before any token (an HTTP error, a reset, the wrong content type); false for the
    /// others, which the engine carries out.
    private func answeredBeforeTheEngine(_ fault: Fault, channel: any Channel, keepAlive: Bool) -> Bool {
        switch fault {
        case .http429:
            Self.respond(channel: channel, status: .tooManyRequests, body: ServerEncoding.error("rate limited (injected)"), keepAlive: keepAlive,
                         extraHeaders: [("Retry-After", "1")])
        case .http500:
            Self.respond(channel: channel, status: .internalServerError, body: ServerEncoding.error("internal error (injected)"), keepAlive: keepAlive)
        case .http503:
            Self.respond(channel: channel, status: .serviceUnavailable, body: ServerEncoding.error("overloaded (injected)"), keepAlive: keepAlive)
        case .resetBeforeHeaders:
            channel.close(promise: nil)
        case .wrongContentType:
            Self.respond(channel: channel, status: .ok, body: "<html><body>login required (injected)</body></html>", keepAlive: keepAlive,
                         contentType: "text/html")
        default:
            return false
        }
        return true
    }

    private func prometheus() -> String {
        let label = "{model_name=\"\(configuration.modelName)\"}"
        func metric(_ name: String, _ type: String, _ help: String, _ value: Double) -> String {
            "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name)\(label) \(value)\n"
        }
        return metric("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", Double(engine.runningCount))
            + metric("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", Double(engine.waitingCount))
            + metric("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", engine.kvCacheUsage)
            + metric("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", Double(engine.promptTokensTotal))
            + metric("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", Double(engine.generationTokensTotal))
            + metric("vllm:request_success_total", "counter", "Count of successfully processed requests.", Double(engine.successTotal))
            + metric("vllm:num_preemptions_total", "counter", "Cumulative number of preemptions.", Double(engine.preemptions))
            + (engine.prefixCache.map { cache in
                metric("vllm:prefix_cache_queries_total", "counter", "Prefix-cache queries, in prompt tokens.", Double(cache.queriedTokens))
                    + metric("vllm:prefix_cache_hits_total", "counter", "Prefix-cache hits, in prompt tokens.", Double(cache.hitTokens))
            } ?? "")
            + metric("tokenmeter_target_steps_total", "counter", "Engine steps executed.", Double(engine.stepsTotal))
            + metric("tokenmeter_target_aborted_total", "counter", "Requests whose client went away.", Double(engine.abortedTotal))
            + metric("tokenmeter_target_faults_total", "counter", "Faults injected on purpose.", Double(engine.faultsInjected))
    }

    /// Writes a whole JSON (or text) response.
    static func respond(channel: any Channel, status: HTTPResponseStatus, body: String, keepAlive: Bool,
                        contentType: String = "application/json", extraHeaders: [(String, String)] = []) {
        var head = HTTPResponseHead(version: .http1_1, status: status)
        head.headers.add(name: "Content-Type", value: contentType)
        for (name, value) in extraHeaders { head.headers.add(name: name, value: value) }
        head.headers.add(name: "Content-Length", value: String(body.utf8.count))
        if !keepAlive { head.headers.add(name: "Connection", value: "close") }
        var buffer = channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
    }
}
