import NIOCore
import NIOHTTP1
import TokenMeterCore
import TokenMeterModel
import TokenMeterDialects

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

    /// The generation routes, by dialect.
    static let dialects: [String: APIKind] = Dictionary(uniqueKeysWithValues: APIKind.allCases.map { ("/v1/" + $0.route, $0) })
    static let routes: Set<String> = Set(["/v1/models", "/health", "/metrics", "/tokenize"] + dialects.keys)

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
        case (.POST, _) where Self.dialects[path] != nil:
            generate(head, api: Self.dialects[path]!, channel: channel, keepAlive: keepAlive)
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
        let text = json["prompt"]?.stringValue ?? json["content"]?.stringValue ?? GenerateRequest.messagesText(json["messages"]) ?? ""
        let body = ServerEncoding.tokenized(WordTokenizer.ids(text), maxModelLength: TargetConfiguration.maxModelLength)
        Self.respond(channel: channel, status: .ok, body: body, keepAlive: keepAlive)
    }

    private func generate(_ head: HTTPRequestHead, api: APIKind, channel: any Channel, keepAlive: Bool) {
        engine.received()
        if let key = configuration.apiKey, !Self.carries(key, head.headers, api: api) {
            let body = ServerEncoding.error("invalid or missing API key", type: api == .anthropic ? "authentication_error" : "invalid_api_key", api: api)
            Self.respond(channel: channel, status: .unauthorized, body: body, keepAlive: keepAlive)
            return
        }
        guard let json = parseBody(channel: channel, keepAlive: keepAlive) else { return }
        let request: GenerateRequest
        switch GenerateRequest.parse(json, api: api, configuration: configuration, stored: { self.engine.storedResponse($0) }) {
        case let .success(parsed): request = parsed
        case let .failure(error):
            Self.respond(channel: channel, status: .badRequest, body: ServerEncoding.error(error.message, api: api), keepAlive: keepAlive)
            return
        }
        let (admitted, headers) = engine.admit(api: api)
        guard admitted else {
            let type = api == .anthropic ? "rate_limit_error" : "rate_limit_exceeded"
            Self.respond(channel: channel, status: .tooManyRequests, body: ServerEncoding.error("request rate limit exceeded", type: type, api: api),
                         keepAlive: keepAlive, extraHeaders: headers)
            return
        }
        let fault = engine.drawFault()
        if let fault, answeredBeforeTheEngine(fault, api: api, channel: channel, keepAlive: keepAlive) { return }
        let completion = engine.makeCompletion(api: api, model: request.model ?? configuration.modelName)
        let sequence = Sequence(completion: completion, requestID: head.headers.first(name: "x-request-id") ?? String(completion.number),
                                request: request, reasoningTokens: configuration.reasoningTokens, keepAlive: keepAlive, channel: channel)
        sequence.headers = headers
        current = sequence
        if let fault, fault.midStream, request.stream {
            sequence.fault = fault
            sequence.faultAtToken = max(1, request.maxTokens / 2)
        } else if fault == .lyingUsage || fault == .lyingUsageLow {
            sequence.fault = fault
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

    /// Whether the request carries `key` in its dialect's header.
    static func carries(_ key: String, _ headers: HTTPHeaders, api: APIKind) -> Bool {
        if headers.first(name: "authorization") == "Bearer \(key)" { return true }
        return api == .anthropic && headers.first(name: "x-api-key") == key
    }

    /// Answers a request whose fault strikes before any token (an HTTP error, a reset, the wrong content type), with the
    /// dialect's error body; false for the others, which the engine carries out.
    private func answeredBeforeTheEngine(_ fault: Fault, api: APIKind, channel: any Channel, keepAlive: Bool) -> Bool {
        let anthropic = api == .anthropic
        switch fault {
        case .http429:
            let body = ServerEncoding.error("rate limited (injected)", type: anthropic ? "rate_limit_error" : "rate_limit_exceeded", api: api)
            Self.respond(channel: channel, status: .tooManyRequests, body: body, keepAlive: keepAlive, extraHeaders: [("Retry-After", "1")])
        case .http500:
            let body = ServerEncoding.error("internal error (injected)", type: anthropic ? "api_error" : "server_error", api: api)
            Self.respond(channel: channel, status: .internalServerError, body: body, keepAlive: keepAlive)
        case .http503:
            let body = ServerEncoding.error("overloaded (injected)", type: anthropic ? "overloaded_error" : "server_error", api: api)
            Self.respond(channel: channel, status: .serviceUnavailable, body: body, keepAlive: keepAlive, extraHeaders: [("Retry-After", "1")])
        case .http529:
            let body = ServerEncoding.error("overloaded (injected)", type: "overloaded_error", api: api)
            Self.respond(channel: channel, status: HTTPResponseStatus(statusCode: 529, reasonPhrase: "Overloaded"), body: body, keepAlive: keepAlive)
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
            + metric("tokenmeter_target_requests_total", "counter", "Generation requests received, whatever their outcome.", Double(engine.requestsReceived))
            + metric("tokenmeter_target_steps_total", "counter", "Engine steps executed.", Double(engine.stepsTotal))
            + metric("tokenmeter_target_aborted_total", "counter", "Requests whose client went away.", Double(engine.abortedTotal))
            + metric("tokenmeter_target_faults_total", "counter", "Faults injected on purpose.", Double(engine.faultsInjected))
            + metric("tokenmeter_target_rate_limited_total", "counter", "Requests refused by the rate limit.", Double(engine.rateLimitedTotal))
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
