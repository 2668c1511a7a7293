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
    /// Connections open or being opened now.
    private let openConnections = Atomic<Int>(0)
    /// Whether the server closes connections it said it would keep alive (see `ReuseHistory`).
    private let reuse = ReuseHistory()
    /// Each event loop's requests waiting for their send time (see `DueSends`) and its connections' watchdog.
    private let perLoop: [ObjectIdentifier: (dueSends: DueSends, watchdog: ConnectionWatchdog)]
    /// The target's address when `host` is an IP literal.
    private let literal: SocketAddress?

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
        self.literal = try? SocketAddress(ipAddress: host, port: port)
        var perLoop: [ObjectIdentifier: (dueSends: DueSends, watchdog: ConnectionWatchdog)] = [:]
        for loop in group.makeIterator() {
            perLoop[ObjectIdentifier(loop)] = (DueSends(loop: loop),
                                               ConnectionWatchdog(loop: loop, readTimeoutNanoseconds: timeouts.readTimeoutNanoseconds))
        }
        self.perLoop = perLoop
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
        let box = ResponseBox()
        await runChain(first: ChainedRequest(request: request, requestID: requestID, tag: 0),
                       hooks: ChainHooks(next: { nil }, completed: { _, response in box.store(response) }))
        return box.load()
    }

    /// Sends requests back to back, one at a time: each next one is claimed from `hooks.next` the moment the one before
    /// it ended and, when the server keeps the connection open, written on that connection from the event loop that
    /// read the end, with no hop through the cooperative pool (a closed loop's slot is refilled within microseconds
    /// however busy the loops are). Otherwise it goes out on a pooled or new connection. Every response, failures
    /// included, reaches `hooks.completed` in order; the chain ends when `next` returns nil or the task is cancelled.
    ///
    /// With `sendAt` (monotonic ns) the first request's connection is made ready at once and the request is written at that
    /// time by its event loop: by a timer when the loop is idle, or between two reads when it is busy streaming (see
    /// `DueSends`), so a send on a loaded loop does not wait for the loop's whole burst of reads.
    public func runChain(first: ChainedRequest, hooks: ChainHooks, sendAt: UInt64? = nil) async {
        var current = first
        var retries = 0
        var sendAt = sendAt
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
                if case ChannelError.connectTimeout = error, retries < 2, openConnections.load(ordering: .relaxed) > 0,
                   !Task.isCancelled {
                    retries += 1
                    continue
                }
                var response = RawResponse()
                response.failure = Self.tlsFailure(error, peer: "\(host):\(port)")
                    ?? RequestFailure(kind: .connect, message: "cannot connect to \(host):\(port): \(Self.describe(error))")
                response.endNanoseconds = MonotonicClock.nowNanoseconds()
                response.connectionRetries = retries
                hooks.completed(current, response)
                guard !Task.isCancelled, let following = hooks.next() else { return }
                current = following
                retries = 0
                continue
            }
            if Task.isCancelled {
                release(connection, reusable: true)
                hooks.completed(current, .cancelledBeforeSending)
                return
            }
            let exit = await drive(current, retries: retries, reused: reused, on: connection, hooks: hooks, sendAt: sendAt)
            sendAt = nil
            switch exit {
            case let .ended(reusable):
                release(connection, reusable: reusable)
                return
            case let .retry(request):
                // A pooled keep-alive connection the server already closed fails before any byte arrives:
                // that request never reached the server, so it is safe to send it once more on a fresh one.
                release(connection, reusable: false)
                current = request
                retries = 1
            case let .moveOn(request):
                release(connection, reusable: false)
                current = request
                retries = 0
            }
        }
    }

    /// Opens connections until `count` are pooled, so that a closed loop's first round is not held up by connects and its
    /// schedule lag measures the client rather than TCP (and TLS) setup. It stops opening at the first connect that fails;
    /// the requests then connect, and report any failure, themselves.
    public func preconnect(_ count: Int) async {
        let pooled = idle.withLock { list in
            list.removeAll { !$0.channel.isActive }
            return list.count
        }
        guard count > pooled else { return }
        let failed = FailureFlag()
        await withTaskGroup(of: Void.self) { group in
            for _ in pooled..<count {
                group.addTask {
                    guard !failed.isSet, !Task.isCancelled else { return }
                    do {
                        let (connection, _) = try await self.acquire(fresh: true)
                        self.release(connection, reusable: true)
                    } catch {
                        failed.set()
                    }
                }
            }
        }
    }

    /// Runs the chain on one connection's event loop until it ends, needs another connection, or must retry.
    private func drive(_ request: ChainedRequest, retries: Int, reused: Bool, on connection: Connection, hooks: ChainHooks,
                       sendAt: UInt64?) async -> ChainExit {
        let loop = connection.channel.eventLoop
        let promise = loop.makePromise(of: ChainExit.self)
        let driver = ChainDriver(connection: connection, hooks: hooks, reuse: reuse, current: request, retries: retries, reused: reused,
                                 settings: ExchangeSettings(timeouts: timeouts, maxBodyBytes: maxBodyBytes, maxEventBytes: maxEventBytes),
                                 promise: promise)
        let due = perLoop[ObjectIdentifier(loop)]?.dueSends
        return await withTaskCancellationHandler {
            if let sendAt, let due {
                due.add(driver, at: sendAt)
            } else {
                loop.execute { driver.start() }
            }
            return (try? await promise.futureResult.get()) ?? .ended(reusable: false)
        } onCancel: {
            loop.execute { driver.cancel() }
        }
    }

    private func acquire(fresh: Bool = false) async throws -> (Connection, Bool) {
        while !fresh, let candidate = idle.withLock({ $0.popLast() }) {
            if candidate.channel.isActive { return (candidate, true) }
        }
        let tls = self.tls
        let host = self.host
        let perLoop = self.perLoop
        let literal = self.literal
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
                    let duties = perLoop[ObjectIdentifier(channel.eventLoop)]
                    try channel.pipeline.syncOperations.addHandler(StreamingResponseHandler(dueSends: duties?.dueSends,
                                                                                            watchdog: duties?.watchdog))
                }
            }
        let channel: any Channel
        do {
            // The turn is held until the connection (and its TLS handshake) is up or has failed.
            await connectGate.enter()
            defer { connectGate.leave() }
            if let source = sources.source(whenOpen: openConnections.add(1, ordering: .relaxed).newValue) {
                bootstrap = bootstrap.bind(to: source)
            }
            do {
                // An IP literal needs no resolver: connecting by name hops through a resolver thread on every connect.
                if let literal {
                    channel = try await bootstrap.connect(to: literal).get()
                } else {
                    channel = try await bootstrap.connect(host: host, port: port).get()
                }
            } catch {
                openConnections.subtract(1, ordering: .relaxed)
                handshake?.fail(error)
                throw error
            }
            channel.closeFuture.whenComplete { _ in self.openConnections.subtract(1, ordering: .relaxed) }
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

/// One request of a chain (see `StreamingHTTPClient.runChain`), with the caller's tag for it.
public struct ChainedRequest: Sendable {
    /// What to send.
    public var request: PreparedRequest
    /// Sent as `X-Request-Id` when given.
    public var requestID: String?
    /// The caller's name for this request, handed back with its response.
    public var tag: Int

    /// Creates a chained request.
    public init(request: PreparedRequest, requestID: String?, tag: Int) {
        self.request = request
        self.requestID = requestID
        self.tag = tag
    }
}

/// What a chain calls while it runs. Both may be called on an event loop, so both must be quick and must not block.
public struct ChainHooks: Sendable {
    /// Claims the request to send next, or nil to end the chain.
    public var next: @Sendable () -> ChainedRequest?
    /// Receives every response of the chain, in order.
    public var completed: @Sendable (ChainedRequest, RawResponse) -> Void

    /// Creates hooks.
    public init(next: @escaping @Sendable () -> ChainedRequest?, completed: @escaping @Sendable (ChainedRequest, RawResponse) -> Void) {
        self.next = next
        self.completed = completed
    }
}

/// Why a chain left its connection.
enum ChainExit: Sendable {
    /// The chain is over; the connection may go back to the pool when `reusable`.
    case ended(reusable: Bool)
    /// The request went out on a kept-alive connection the server had already closed: send it again on a fresh one.
    case retry(ChainedRequest)
    /// The next request is claimed but the server did not keep the connection open.
    case moveOn(ChainedRequest)
}

/// Drives a chain on one connection. Its state is only touched on the connection's event loop (`start`, `cancel` and the
/// handler's callback all run there), which is what makes the unchecked `Sendable` sound.
final class ChainDriver: @unchecked Sendable {
    private let connection: Connection
    private let hooks: ChainHooks
    private let reuse: ReuseHistory
    private let settings: ExchangeSettings
    private let promise: EventLoopPromise<ChainExit>
    private var current: ChainedRequest
    private var retries: Int
    private var reused: Bool
    private var cancelled = false
    /// Set once the promise is completed: the connection may already serve another chain, so a late cancel must not touch it.
    private var done = false
    /// Whether the current request was handed to the connection.
    private var started = false

    init(connection: Connection, hooks: ChainHooks, reuse: ReuseHistory, current: ChainedRequest, retries: Int, reused: Bool,
         settings: ExchangeSettings, promise: EventLoopPromise<ChainExit>) {
        self.connection = connection
        self.hooks = hooks
        self.reuse = reuse
        self.current = current
        self.retries = retries
        self.reused = reused
        self.settings = settings
        self.promise = promise
    }

    /// Writes the current request; a second call (a due send fired after a cancel already started it) does nothing.
    func start() {
        connection.channel.eventLoop.assertInEventLoop()
        guard !done else { return }
        if cancelled, !started {
            started = true
            hooks.completed(current, .cancelledBeforeSending)
            exit(.ended(reusable: true))
            return
        }
        guard !started else { return }
        started = true
        connection.handler.value.start(current.request, requestID: current.requestID, settings: settings) { self.finished($0) }
    }

    func cancel() {
        connection.channel.eventLoop.assertInEventLoop()
        guard !done else { return }
        cancelled = true
        if started { connection.handler.value.cancel() } else { start() }
    }

    private func exit(_ exit: ChainExit) {
        done = true
        promise.succeed(exit)
    }

    private func finished(_ result: RawResponse) {
        var response = result
        response.connectionRetries = retries
        if reused, retries == 0, !cancelled, response.bytesReceived == 0, response.failure?.kind == .reset {
            reuse.closedByServer()
            exit(.retry(current))
            return
        }
        if reused, response.bytesReceived > 0 { reuse.kept() }
        hooks.completed(current, response)
        let reusable = response.failure == nil && response.keepAlive && connection.channel.isActive && !reuse.serverCloses
        guard !cancelled, let following = hooks.next() else {
            exit(.ended(reusable: reusable))
            return
        }
        guard reusable else {
            exit(.moveOn(following))
            return
        }
        current = following
        retries = 0
        reused = true
        started = false
        start()
    }
}

/// Whether the server closes a connection after each response although the response said keep-alive (llama.cpp's server
/// does). A chain writes its next request the moment a response ends, so against such a server every next request went
/// into a closing connection, failed before any byte and was sent again on a new one: a wasted write and a reset per
/// request. After three such failures in a row the client stops reusing connections and opens a new one per request.
final class ReuseHistory: Sendable {
    private let closedInARow = Atomic<Int>(0)

    /// A request on a kept-alive connection failed before any byte: the server had closed it.
    func closedByServer() { closedInARow.add(1, ordering: .relaxed) }

    /// A request on a kept-alive connection got an answer.
    func kept() { closedInARow.store(0, ordering: .relaxed) }

    /// True once the server closed three kept-alive connections in a row.
    var serverCloses: Bool { closedInARow.load(ordering: .relaxed) >= 3 }
}

/// Set once, read from any thread.
final class FailureFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .relaxed) }

    func set() { value.store(true, ordering: .relaxed) }
}

extension RawResponse {
    /// A request that was cancelled before any byte of it was written.
    static var cancelledBeforeSending: RawResponse {
        var response = RawResponse()
        response.failure = RequestFailure(kind: .cancelled, message: "cancelled before sending")
        return response
    }
}

/// Holds the one response of a single-request chain.
final class ResponseBox: Sendable {
    private let value = Mutex<RawResponse?>(nil)

    func store(_ response: RawResponse) { value.withLock { $0 = response } }

    func load() -> RawResponse { value.withLock { $0 } ?? RawResponse() }
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
    private var onFinish: ((RawResponse) -> Void)?
    private var response = RawResponse()
    private var framer = SSEFramer()
    private var streaming = false
    private var settings = ExchangeSettings(timeouts: ClientTimeouts(), maxBodyBytes: 0, maxEventBytes: 0)
    private var readIndex = 0
    private var readTime: UInt64?
    private var lastActivity: UInt64 = 0
    private var scratch: [SSEEvent] = []
    /// A failure that hit the connection while no request was active (a TLS handshake refused, say).
    private var idleFailure: RequestFailure?
    /// This loop's requests waiting for their send time, fired after each read.
    private let dueSends: DueSends?
    /// The loop's watchdog, which checks this connection's timeouts for its whole life.
    private let watchdog: ConnectionWatchdog?

    init(dueSends: DueSends?, watchdog: ConnectionWatchdog?) {
        self.dueSends = dueSends
        self.watchdog = watchdog
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        watchdog?.watch(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        watchdog?.stopWatching(self)
    }

    /// Sends a request; `onFinish` gets its response (or failure) once, on the event loop, and may start the next one.
    func start(_ request: PreparedRequest, requestID: String?, settings: ExchangeSettings, onFinish: @escaping (RawResponse) -> Void) {
        guard let context, context.channel.isActive, self.onFinish == nil else {
            var failed = RawResponse()
            failed.failure = idleFailure ?? RequestFailure(kind: .reset, message: "connection closed before the request could be sent")
            onFinish(failed)
            return
        }
        self.onFinish = onFinish
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
    }

    func cancel() {
        guard onFinish != nil else { return }
        fail(RequestFailure(kind: .cancelled, message: "cancelled while in flight"))
        context?.close(promise: nil)
    }

    /// Fails the request in flight, and closes its connection, once it is past its read or total timeout.
    func checkTimeouts() {
        guard onFinish != nil else { return }
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
        guard onFinish != nil else { return }
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
            succeed() // may write the chain's next request on this connection right here (only when kept alive)
            if !keepAlive { context.close(promise: nil) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readTime = nil
        readIndex += 1
        context.fireChannelReadComplete()
        dueSends?.fireIfDue()
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
        guard let onFinish else { return }
        self.onFinish = nil
        onFinish(response)
    }

    private func fail(_ failure: RequestFailure) {
        guard let onFinish else {
            if idleFailure == nil { idleFailure = failure }
            return
        }
        self.onFinish = nil
        response.failure = failure
        response.endNanoseconds = MonotonicClock.nowNanoseconds()
        onFinish(response)
    }
}
