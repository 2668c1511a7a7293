import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import TokenMeterCore

/// One SSE event as it came off the wire: arrival time, socket-read index, raw payload.
public struct RawEvent: Sendable {
    /// Monotonic arrival time of the read that completed the event (ns).
    public var timeNanoseconds: UInt64
    /// Index of the socket read within the response.
    public var readIndex: Int
    /// The event's data payload, undecoded.
    public var data: [UInt8]

    /// Creates an event.
    public init(timeNanoseconds: UInt64, readIndex: Int, data: [UInt8]) {
        self.timeNanoseconds = timeNanoseconds
        self.readIndex = readIndex
        self.data = data
    }
}

/// What one HTTP exchange produced, before any JSON decoding.
public struct RawResponse: Sendable {
    /// When the request bytes were handed to the connection (monotonic ns).
    public var sentNanoseconds: UInt64?
    /// When the response head arrived.
    public var headNanoseconds: UInt64?
    /// When the response ended or failed.
    public var endNanoseconds: UInt64?
    /// HTTP status, once the head arrived.
    public var status: Int?
    /// Response content type.
    public var contentType: String?
    /// SSE events of a streamed response.
    public var events: [RawEvent] = []
    /// The body of a non-streamed (or error) response, capped at `bodyLimit`.
    public var body: [UInt8] = []
    /// Set when the exchange failed at the transport level.
    public var failure: RequestFailure?
    /// Bytes of response received, head included; zero means the connection died before answering.
    public var bytesReceived: Int = 0
    /// Whether the server allows the connection to be reused.
    public var keepAlive: Bool = true
    /// Retries on a fresh connection: after a stale pooled one failed, or after a connect timed out while other
    /// connections to the server were open (an overflowing accept queue).
    public var connectionRetries: Int = 0

    /// Creates an empty response.
    public init() {}
}

/// A request ready to write: built before its scheduled time so sending costs nothing.
public struct PreparedRequest: Sendable {
    /// HTTP method.
    public var method: HTTPMethod
    /// Path and query, e.g. `/v1/completions`.
    public var uri: String
    /// Header fields (secrets included; never logged).
    public var headers: [(String, String)]
    /// JSON body.
    public var body: [UInt8]
    /// True when the response is expected as server-sent events.
    public var expectsEventStream: Bool

    /// Creates a request.
    public init(method: HTTPMethod = .POST, uri: String, headers: [(String, String)], body: [UInt8], expectsEventStream: Bool) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
        self.expectsEventStream = expectsEventStream
    }
}

/// Timeouts of one exchange.
public struct ClientTimeouts: Sendable {
    /// Longest silence allowed between two reads once the request is sent (longer than the worst prefill).
    public var readTimeoutNanoseconds: UInt64
    /// Longest a whole request may take.
    public var totalTimeoutNanoseconds: UInt64
    /// Longest a TCP connect may take.
    public var connectTimeoutNanoseconds: UInt64

    /// Creates timeouts from seconds.
    public init(readSeconds: Double = 300, totalSeconds: Double = 1800, connectSeconds: Double = 10) {
        readTimeoutNanoseconds = UInt64(readSeconds * 1e9)
        totalTimeoutNanoseconds = UInt64(totalSeconds * 1e9)
        connectTimeoutNanoseconds = UInt64(connectSeconds * 1e9)
    }
}

/// HTTP/1.1 client for plain-HTTP inference endpoints, built for measurement.
///
/// Every request gets a connection of its own (pooled for reuse, never capped), so the client never
/// queues requests behind each other; events are timestamped in the channel handler on the event loop.
public final class StreamingHTTPClient: Sendable {
    /// Host the client talks to.
    public let host: String
    /// TCP port.
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let timeouts: ClientTimeouts
    private let idle = Mutex<[Connection]>([])
    private let maxBodyBytes: Int
    private let maxEventBytes: Int
    private let isShutDown = Atomic<Bool>(false)
    private let tls: NIOSSLContext?
    /// Connections being opened at once, at most (see `ConnectGate`).
    private let connectGate = ConnectGate(limit: 1024)
    /// Source addresses past 4,096 open connections to a loopback target (see `LoopbackSources`).
    private let sources: LoopbackSources

    /// Creates a client with its own event-loop threads; with `tls` every connection is TLS (HTTPS).
    public init(host: String, port: Int, threads: Int = System.coreCount, timeouts: ClientTimeouts = ClientTimeouts(),
                maxBodyBytes: Int = 16 << 20, maxEventBytes: Int = 8 << 20, tls: NIOSSLContext? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.timeouts = timeouts
        self.maxBodyBytes = maxBodyBytes
        self.maxEventBytes = maxEventBytes
        self.sources = LoopbackSources(host: host)
    }

    /// A TLS client context that verifies servers against the system's roots, or only against the CA in `caFile` (PEM).
    public static func tlsContext(caFile: String?) throws(ConfigError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw ConfigError(field: "ca-file", message: "cannot read a PEM certificate from '\(caFile)': \(error)")
            }
        }
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw ConfigError(field: "ca-file", message: "cannot set up TLS: \(error)")
        }
    }

    /// Closes pooled connections and stops the event loops; later calls do nothing.
    public func shutdown() async {
        guard !isShutDown.exchange(true, ordering: .relaxed) else { return }
        let connections = idle.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for connection in connections { try? await connection.channel.close() }
        try? await group.shutdownGracefully()
    }

    /// Sends a request and collects its response; transport failures come back in `failure`, never thrown.
    ///
    /// `requestID`, when given, goes out as `X-Request-Id` so a server's log can be matched to the record.
    public func execute(_ request: PreparedRequest, requestID: String? = nil) async -> RawResponse {
        var retries = 0
        while true {
            let connection: Connection
            let reused: Bool
            do {
                // A retry always gets a new connection: another pooled one may be just as stale (llama.cpp closes every
                // connection after a streamed response, so at concurrency 8 a second stale pick lost one request in 256).
                (connection, reused) = try await acquire(fresh: retries > 0)
            } catch {
                // A connect that timed out while other connections to this server are open is an overloaded accept queue
                // (the kernel dropped the SYN), not an unreachable server: nothing was sent, so it is safe to try again.
                if case ChannelError.connectTimeout = error, retries < 2, sources.openConnections > 0, !Task.isCancelled {
                    retries += 1
                    continue
                }
                var response = RawResponse()
                response.failure = Self.tlsFailure(error, peer: "\(host):\(port)")
                    ?? RequestFailure(kind: .connect, message: "cannot connect to \(host):\(port): \(Self.describe(error))")
                response.endNanoseconds = MonotonicClock.nowNanoseconds()
                response.connectionRetries = retries
                return response
            }
            if Task.isCancelled {
                release(connection, reusable: true)
                var response = RawResponse()
                response.failure = RequestFailure(kind: .cancelled, message: "cancelled before sending")
                return response
            }
            var response = await run(request, requestID: requestID, on: connection)
            response.connectionRetries = retries
            // A pooled keep-alive connection the server already closed fails before any byte arrives:
            // that request never reached the server, so it is safe to send it once more on a fresh one.
            if reused, retries == 0, response.bytesReceived == 0, response.failure?.kind == .reset {
                retries += 1
                continue
            }
            release(connection, reusable: response.failure == nil && response.keepAlive)
            return response
        }
    }

    private func run(_ request: PreparedRequest, requestID: String?, on connection: Connection) async -> RawResponse {
        let promise = connection.channel.eventLoop.makePromise(of: RawResponse.self)
        let handler = connection.handler
        let settings = ExchangeSettings(timeouts: timeouts, maxBodyBytes: maxBodyBytes, maxEventBytes: maxEventBytes)
        return await withTaskCancellationHandler {
            connection.channel.eventLoop.execute {
                handler.value.start(request, requestID: requestID, settings: settings, promise: promise)
            }
            do {
                return try await promise.futureResult.get()
            } catch {
                var response = RawResponse()
                response.failure = RequestFailure(kind: .reset, message: Self.describe(error))
                return response
            }
        } onCancel: {
            connection.channel.eventLoop.execute { handler.value.cancel() }
        }
    }

    private func acquire(fresh: Bool = false) async throws -> (Connection, Bool) {
        while !fresh, let candidate = idle.withLock({ $0.popLast() }) {
            if candidate.channel.isActive { return (candidate, true) }
        }
        let tls = self.tls
        let host = self.host
        // With TLS, the connection is only handed out once its handshake succeeded, so a refused certificate is a connect failure.
        let handshake: EventLoopPromise<Void>? = tls == nil ? nil : group.next().makePromise()
        var bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.nanoseconds(Int64(timeouts.connectTimeoutNanoseconds)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // SNI and name checks need a host name; an IP literal is checked against the certificate's IP SANs.
                        let isAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : host))
                        if let handshake { try channel.pipeline.syncOperations.addHandler(HandshakeWaiter(promise: handshake)) }
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(StreamingResponseHandler())
                }
            }
        let channel: any Channel
        do {
            // The turn is held until the connection (and its TLS handshake) is up or has failed.
            await connectGate.enter()
            defer { connectGate.leave() }
            if let source = sources.sourceForNewConnection() { bootstrap = bootstrap.bind(to: source) }
            do {
                channel = try await bootstrap.connect(host: host, port: port).get()
            } catch {
                sources.closed()
                handshake?.fail(error)
                throw error
            }
            let sources = self.sources
            channel.closeFuture.whenComplete { _ in sources.closed() }
            if let handshake {
                do { try await handshake.futureResult.get() } catch {
                    channel.close(promise: nil)
                    throw error
                }
            }
        }
        let connection = try await channel.eventLoop.submit {
            let handler = try channel.pipeline.syncOperations.handler(type: StreamingResponseHandler.self)
            return Connection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
        }.get()
        return (connection, false)
    }

    private func release(_ connection: Connection, reusable: Bool) {
        if reusable, connection.channel.isActive {
            idle.withLock { $0.append(connection) }
        } else {
            connection.channel.close(promise: nil)
        }
    }

    /// A TLS error as a connect failure that says what to do; nil for any other error.
    static func tlsFailure(_ error: any Error, peer: String? = nil) -> RequestFailure? {
        guard error is NIOSSLError || error is BoringSSLError else { return nil }
        return RequestFailure(kind: .connect, message: "TLS handshake\(peer.map { " with \($0)" } ?? "") failed: \(describe(error)); "
            + "if the server uses a private CA, pass --ca-file CA.pem")
    }

    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return io.description }
        return String(describing: error)
    }
}

/// Completes a promise when the TLS handshake succeeds, or fails it with the handshake's error or the channel's close.
final class HandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private var promise: EventLoopPromise<Void>?

    init(promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            promise?.succeed(())
            promise = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise?.fail(error)
        promise = nil
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.fail(ChannelError.ioOnClosedChannel)
        promise = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise?.fail(ChannelError.ioOnClosedChannel)
        promise = nil
    }
}

struct Connection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<StreamingResponseHandler>
}

struct ExchangeSettings: Sendable {
    var timeouts: ClientTimeouts
    var maxBodyBytes: Int
    var maxEventBytes: Int
}

/// Collects one response at a time on its channel's event loop: timestamps reads, frames SSE, enforces timeouts.
final class StreamingResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private var context: ChannelHandlerContext?
    private var promise: EventLoopPromise<RawResponse>?
    private var response = RawResponse()
    private var framer = SSEFramer()
    private var streaming = false
    private var settings = ExchangeSettings(timeouts: ClientTimeouts(), maxBodyBytes: 0, maxEventBytes: 0)
    private var readIndex = 0
    private var readTime: UInt64?
    private var lastActivity: UInt64 = 0
    private var watchdog: RepeatedTask?
    private var scratch: [SSEEvent] = []
    /// A failure that hit the connection while no request was active (a TLS handshake refused, say).
    private var idleFailure: RequestFailure?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func start(_ request: PreparedRequest, requestID: String?, settings: ExchangeSettings, promise: EventLoopPromise<RawResponse>) {
        guard let context, context.channel.isActive, self.promise == nil else {
            var failed = RawResponse()
            failed.failure = idleFailure ?? RequestFailure(kind: .reset, message: "connection closed before the request could be sent")
            promise.succeed(failed)
            return
        }
        self.promise = promise
        self.settings = settings
        response = RawResponse()
        framer = SSEFramer(maxEventBytes: settings.maxEventBytes)
        streaming = false
        readIndex = 0
        readTime = nil
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.uri)
        for (name, value) in request.headers { head.headers.add(name: name, value: value) }
        if let requestID { head.headers.replaceOrAdd(name: "X-Request-Id", value: requestID) }
        head.headers.replaceOrAdd(name: "Content-Length", value: String(request.body.count))
        var body = context.channel.allocator.buffer(capacity: request.body.count)
        body.writeBytes(request.body)
        let now = MonotonicClock.nowNanoseconds()
        response.sentNanoseconds = now
        lastActivity = now
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        let interval = TimeAmount.nanoseconds(Int64(max(50_000_000, min(settings.timeouts.readTimeoutNanoseconds / 4, 1_000_000_000))))
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        watchdog = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            loopBound.value.checkTimeouts()
        }
    }

    func cancel() {
        guard promise != nil else { return }
        fail(RequestFailure(kind: .cancelled, message: "cancelled while in flight"))
        context?.close(promise: nil)
    }

    private func checkTimeouts() {
        guard promise != nil else { return }
        let now = MonotonicClock.nowNanoseconds()
        if now - lastActivity > settings.timeouts.readTimeoutNanoseconds {
            let seconds = Double(settings.timeouts.readTimeoutNanoseconds) / 1e9
            fail(RequestFailure(kind: .timeout, message: "no data for \(seconds)s (read timeout)"))
            context?.close(promise: nil)
        } else if let sent = response.sentNanoseconds, now - sent > settings.timeouts.totalTimeoutNanoseconds {
            let seconds = Double(settings.timeouts.totalTimeoutNanoseconds) / 1e9
            fail(RequestFailure(kind: .timeout, message: "request exceeded its total timeout of \(seconds)s"))
            context?.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        let now: UInt64
        if let readTime { now = readTime } else {
            now = MonotonicClock.nowNanoseconds()
            readTime = now
        }
        guard promise != nil else { return }
        lastActivity = now
        switch part {
        case let .head(head):
            response.headNanoseconds = now
            response.status = Int(head.status.code)
            response.keepAlive = head.isKeepAlive
            response.contentType = head.headers.first(name: "content-type")
            response.bytesReceived += 1
            streaming = (200..<300).contains(head.status.code)
                && (response.contentType?.lowercased().contains("text/event-stream") ?? false)
        case let .body(buffer):
            response.bytesReceived += buffer.readableBytes
            if streaming {
                buffer.withUnsafeReadableBytes { framer.feed($0, into: &scratch) }
                if framer.overflowed {
                    fail(RequestFailure(kind: .malformed, message: "an event exceeded \(settings.maxEventBytes) bytes"))
                    context.close(promise: nil)
                    return
                }
                for event in scratch {
                    response.events.append(RawEvent(timeNanoseconds: now, readIndex: readIndex, data: event.data))
                }
                scratch.removeAll(keepingCapacity: true)
            } else if response.body.count < settings.maxBodyBytes {
                let room = settings.maxBodyBytes - response.body.count
                buffer.withUnsafeReadableBytes { response.body.append(contentsOf: $0.prefix(room)) }
            }
        case .end:
            if streaming, let last = framer.finish() {
                response.events.append(RawEvent(timeNanoseconds: now, readIndex: readIndex, data: last.data))
            }
            response.endNanoseconds = now
            let keepAlive = response.keepAlive
            succeed()
            if !keepAlive { context.close(promise: nil) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readTime = nil
        readIndex += 1
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let ssl = error as? NIOSSLError, case .uncleanShutdown = ssl {
            // The peer closed without a TLS close_notify: during a response that is a reset, after one it is nothing.
            fail(RequestFailure(kind: .reset, message: "connection closed by the server before the response completed"))
        } else if let tls = StreamingHTTPClient.tlsFailure(error) {
            fail(tls)
        } else {
            fail(RequestFailure(kind: .reset, message: "connection error: \(StreamingHTTPClient.describe(error))"))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(RequestFailure(kind: .reset, message: "connection closed by the server before the response completed"))
        context.fireChannelInactive()
    }

    private func succeed() {
        guard let promise else { return }
        watchdog?.cancel()
        watchdog = nil
        self.promise = nil
        promise.succeed(response)
    }

    private func fail(_ failure: RequestFailure) {
        guard let promise else {
            if idleFailure == nil { idleFailure = failure }
            return
        }
        watchdog?.cancel()
        watchdog = nil
        self.promise = nil
        response.failure = failure
        response.endNanoseconds = MonotonicClock.nowNanoseconds()
        promise.succeed(response)
    }
}
