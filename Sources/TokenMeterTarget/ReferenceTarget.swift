import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TokenMeterCore

/// Settings of the reference target.
public struct TargetConfiguration: Sendable {
    /// Address to bind; loopback by default.
    public var host: String
    /// Port to bind; 0 picks a free one.
    public var port: Int
    /// Model name the target reports.
    public var modelName: String
    /// Most sequences running at once.
    public var maxBatch: Int
    /// Most prompt tokens prefilled in one step (at least one sequence is always admitted).
    public var maxPrefillTokens: Int
    /// Step durations.
    public var timing: StepTiming
    /// Chance per token of an early stop when the client did not ask to ignore EOS.
    public var eosProbability: Double
    /// Keep a ground-truth log of token write times.
    public var recordGroundTruth: Bool
    /// Write the ground-truth log here (JSONL) when the target stops.
    public var groundTruthPath: String?
    /// Simulated KV-cache capacity in tokens, for `vllm:kv_cache_usage_perc`.
    public var kvCapacityTokens: Int
    /// Seed of the early-stop draws.
    public var seed: UInt64
    /// Largest request body accepted, bytes.
    public var maxRequestBytes: Int
    /// Faults to inject into generation requests.
    public var faults: FaultPlan

    /// Creates a configuration with defaults suited to a laptop-sized benchmark.
    public init(host: String = "127.0.0.1", port: Int = 0, modelName: String = "tokenmeter-reference", maxBatch: Int = 256,
                maxPrefillTokens: Int = 16384, stepModel: StepTimeModel = StepTimeModel(), timing: StepTiming? = nil, eosProbability: Double = 0,
                recordGroundTruth: Bool = false, groundTruthPath: String? = nil, kvCapacityTokens: Int = 2_000_000, seed: UInt64 = 1,
                maxRequestBytes: Int = 32 << 20, faults: FaultPlan = FaultPlan()) {
        self.host = host
        self.port = port
        self.modelName = modelName
        self.maxBatch = maxBatch
        self.maxPrefillTokens = maxPrefillTokens
        self.timing = timing ?? .parametric(stepModel)
        self.eosProbability = eosProbability
        self.recordGroundTruth = recordGroundTruth || groundTruthPath != nil
        self.groundTruthPath = groundTruthPath
        self.kvCapacityTokens = kvCapacityTokens
        self.seed = seed
        self.maxRequestBytes = maxRequestBytes
        self.faults = faults
    }
}

/// The OpenAI-compatible reference target: a simulated continuous-batching engine behind real HTTP.
public final class ReferenceTarget: Sendable {
    /// The settings it runs with.
    public let configuration: TargetConfiguration
    /// The port it listens on.
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let engine: NIOLoopBound<Engine>
    /// Set by the first `stop()`; holds the ground truth as it was then, so it stays readable afterwards.
    private let stopped = Mutex<[GroundTruthRecord]?>(nil)

    private init(configuration: TargetConfiguration, port: Int, group: MultiThreadedEventLoopGroup, serverChannel: any Channel,
                 engine: NIOLoopBound<Engine>) {
        self.configuration = configuration
        self.port = port
        self.group = group
        self.serverChannel = serverChannel
        self.engine = engine
    }

    /// Binds and starts serving; the engine and every connection share one event loop, so no locks are needed.
    public static func start(_ configuration: TargetConfiguration) async throws -> ReferenceTarget {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let engine = try await loop.submit { NIOLoopBound(Engine(loop: loop, configuration: configuration), eventLoop: loop) }.get()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(TargetHTTPHandler(engine: engine.value, configuration: configuration))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let port = channel.localAddress?.port ?? configuration.port
        return ReferenceTarget(configuration: configuration, port: port, group: group, serverChannel: channel, engine: engine)
    }

    /// The OpenAI base URL, e.g. `http://127.0.0.1:41234/v1`.
    public var baseURL: String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "http://\(host):\(port)/v1"
    }

    /// The ground-truth records so far (after `stop()`, those it had then).
    public func groundTruth() async -> [GroundTruthRecord] {
        if let final = stopped.withLock({ $0 }) { return final }
        return (try? await engine.eventLoop.submit { self.engine.value.groundTruth }.get()) ?? []
    }

    /// Stops listening, writes the ground-truth log if asked, and shuts the event loop down; later calls do nothing.
    public func stop() async {
        let records = (try? await engine.eventLoop.submit { self.engine.value.groundTruth }.get()) ?? []
        let first = stopped.withLock { state -> Bool in
            guard state == nil else { return false }
            state = records
            return true
        }
        guard first else { return }
        try? await serverChannel.close()
        if let path = configuration.groundTruthPath {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var text = ""
            for record in records {
                if let data = try? encoder.encode(record) { text += String(decoding: data, as: UTF8.self) + "\n" }
            }
            try? text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try? await group.shutdownGracefully()
    }
}

/// Routes HTTP requests to the engine and the informational endpoints.
final class TargetHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let engine: Engine
    private let configuration: TargetConfiguration
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    private var current: Sequence?

    init(engine: Engine, configuration: TargetConfiguration) {
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

    private func route(_ head: HTTPRequestHead, channel: any Channel) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let keepAlive = head.isKeepAlive
        if tooLarge {
            Self.respond(channel: channel, status: .payloadTooLarge, body: Self.error("request body exceeds \(configuration.maxRequestBytes) bytes"), keepAlive: false)
            return
        }
        switch (head.method, path) {
        case (.GET, "/v1/models"):
            let body = "{\"object\":\"list\",\"data\":[{\"id\":\"\(configuration.modelName)\",\"object\":\"model\",\"owned_by\":\"tokenmeter\",\"max_model_len\":131072}]}"
            Self.respond(channel: channel, status: .ok, body: body, keepAlive: keepAlive)
        case (.GET, "/health"):
            Self.respond(channel: channel, status: .ok, body: "{}", keepAlive: keepAlive)
        case (.GET, "/metrics"):
            Self.respond(channel: channel, status: .ok, body: prometheus(), keepAlive: keepAlive, contentType: "text/plain; version=0.0.4")
        case (.POST, "/tokenize"):
            tokenize(channel: channel, keepAlive: keepAlive)
        case (.POST, "/v1/completions"):
            generate(head, chat: false, channel: channel, keepAlive: keepAlive)
        case (.POST, "/v1/chat/completions"):
            generate(head, chat: true, channel: channel, keepAlive: keepAlive)
        case (_, "/v1/models"), (_, "/health"), (_, "/metrics"), (_, "/tokenize"), (_, "/v1/completions"), (_, "/v1/chat/completions"):
            Self.respond(channel: channel, status: .methodNotAllowed, body: Self.error("method \(head.method) not allowed on \(path)"), keepAlive: keepAlive)
        default:
            Self.respond(channel: channel, status: .notFound, body: Self.error("no route \(path)"), keepAlive: keepAlive)
        }
    }

    private func parseBody(channel: any Channel, keepAlive: Bool) -> JSONValue? {
        do {
            let json = try JSONValue.parse(body)
            guard case .object = json else { throw JSONParseError(offset: 0, reason: "expected a JSON object") }
            return json
        } catch {
            Self.respond(channel: channel, status: .badRequest, body: Self.error("invalid JSON body: \(error)"), keepAlive: keepAlive)
            return nil
        }
    }

    private func tokenize(channel: any Channel, keepAlive: Bool) {
        guard let json = parseBody(channel: channel, keepAlive: keepAlive) else { return }
        let text = json["prompt"]?.stringValue ?? json["content"]?.stringValue ?? Self.messagesText(json["messages"]) ?? ""
        let ids = WordTokenizer.ids(text)
        let body = "{\"count\":\(ids.count),\"max_model_len\":131072,\"tokens\":[\(ids.map(String.init).joined(separator: ","))]}"
        Self.respond(channel: channel, status: .ok, body: body, keepAlive: keepAlive)
    }

    static func messagesText(_ messages: JSONValue?) -> String? {
        guard case let .array(items)? = messages else { return nil }
        return items.compactMap { $0["content"]?.stringValue }.joined(separator: "\n")
    }

    private func generate(_ head: HTTPRequestHead, chat: Bool, channel: any Channel, keepAlive: Bool) {
        guard let json = parseBody(channel: channel, keepAlive: keepAlive) else { return }
        let promptText: String
        if chat {
            guard let text = Self.messagesText(json["messages"]) else {
                Self.respond(channel: channel, status: .badRequest, body: Self.error("'messages' must be an array of {role, content}"), keepAlive: keepAlive)
                return
            }
            promptText = text
        } else {
            guard let text = json["prompt"]?.stringValue else {
                Self.respond(channel: channel, status: .badRequest, body: Self.error("'prompt' must be a string"), keepAlive: keepAlive)
                return
            }
            promptText = text
        }
        let maxTokens = json["max_completion_tokens"]?.intValue ?? json["max_tokens"]?.intValue ?? (chat ? 256 : 16)
        guard maxTokens >= 1 else {
            Self.respond(channel: channel, status: .badRequest, body: Self.error("max_tokens must be at least 1"), keepAlive: keepAlive)
            return
        }
        let stream = json["stream"]?.boolValue ?? false
        let streamOptions = json["stream_options"]
        let fault = engine.drawFault()
        switch fault {
        case .http429:
            Self.respond(channel: channel, status: .tooManyRequests, body: Self.error("rate limited (injected)"), keepAlive: keepAlive,
                         extraHeaders: [("Retry-After", "1")])
            return
        case .http500:
            Self.respond(channel: channel, status: .internalServerError, body: Self.error("internal error (injected)"), keepAlive: keepAlive)
            return
        case .http503:
            Self.respond(channel: channel, status: .serviceUnavailable, body: Self.error("overloaded (injected)"), keepAlive: keepAlive)
            return
        case .resetBeforeHeaders:
            channel.close(promise: nil)
            return
        case .wrongContentType:
            Self.respond(channel: channel, status: .ok, body: "<html><body>login required (injected)</body></html>", keepAlive: keepAlive,
                         contentType: "text/html")
            return
        default:
            break
        }
        let number = engine.makeNumber()
        let sequence = Sequence(
            number: number, requestID: head.headers.first(name: "x-request-id") ?? String(number), chat: chat,
            model: json["model"]?.stringValue ?? configuration.modelName, promptTokens: WordTokenizer.count(promptText),
            maxTokens: maxTokens, minTokens: json["min_tokens"]?.intValue ?? 0, ignoreEOS: json["ignore_eos"]?.boolValue ?? false,
            stream: stream, includeUsage: streamOptions?["include_usage"]?.boolValue ?? false,
            continuousUsage: streamOptions?["continuous_usage_stats"]?.boolValue ?? false, keepAlive: keepAlive, channel: channel)
        current = sequence
        if let fault, fault.midStream, stream {
            sequence.fault = fault
            sequence.faultAtToken = max(1, maxTokens / 2)
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

    private func prometheus() -> String {
        let label = "{model_name=\"\(configuration.modelName)\"}"
        let kv = Double(engine.contextTokens) / Double(max(configuration.kvCapacityTokens, 1))
        func metric(_ name: String, _ type: String, _ help: String, _ value: Double) -> String {
            "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name)\(label) \(value)\n"
        }
        return metric("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", Double(engine.runningCount))
            + metric("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", Double(engine.waitingCount))
            + metric("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", kv)
            + metric("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", Double(engine.promptTokensTotal))
            + metric("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", Double(engine.generationTokensTotal))
            + metric("vllm:request_success_total", "counter", "Count of successfully processed requests.", Double(engine.successTotal))
            + metric("vllm:num_preemptions_total", "counter", "Cumulative number of preemptions.", 0)
            + metric("tokenmeter_target_steps_total", "counter", "Engine steps executed.", Double(engine.stepsTotal))
            + metric("tokenmeter_target_aborted_total", "counter", "Requests whose client went away.", Double(engine.abortedTotal))
            + metric("tokenmeter_target_faults_total", "counter", "Faults injected on purpose.", Double(engine.faultsInjected))
    }

    static func error(_ message: String) -> String {
        var text = ""
        JSONValue.writeString(message, to: &text)
        return "{\"error\":{\"message\":\(text),\"type\":\"invalid_request_error\"}}"
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
