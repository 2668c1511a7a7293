import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import TokenMeterCore

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
    /// When a refused request is sent again (rate limited, overloaded); nil: never.
    private let retry: RetryPolicy?

    /// Creates a client with its own event-loop threads; with `tls` every connection is TLS (HTTPS).
    public init(host: String, port: Int, threads: Int = System.coreCount, timeouts: ClientTimeouts = ClientTimeouts(),
                maxBodyBytes: Int = 16 << 20, maxEventBytes: Int = 8 << 20, tls: NIOSSLContext? = nil, retry: RetryPolicy? = nil) {
        self.host = host
        self.retry = retry
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
    /// With `sendAt` (monotonic ns) its connection is readied at once and the request written at that time (see `runChain`).
    public func execute(_ request: PreparedRequest, requestID: String? = nil, sendAt: UInt64? = nil) async -> RawResponse {
        let box = ResponseBox()
        await runChain(first: ChainedRequest(request: request, requestID: requestID, tag: 0),
                       hooks: ChainHooks(next: { nil }, completed: { _, response in box.store(response) }), sendAt: sendAt)
        return box.load()
    }

    /// Sends requests back to back: each next one is claimed from `hooks.next` the moment the one before ended and written
    /// on the same kept-alive connection by the event loop that read the end, with no hop through the cooperative pool;
    /// otherwise on a pooled or new connection. Every response, failures included, reaches `hooks.completed` in order; the
    /// chain ends when `next` returns nil or the task is cancelled. With `sendAt` (monotonic ns) the first request's
    /// connection is made ready at once and the request is written at that time by its loop (`DueSends`).
    public func runChain(first: ChainedRequest, hooks: ChainHooks, sendAt: UInt64? = nil) async {
        var current = first
        var retries = 0
        var sendAt = sendAt
        while true {
            let connection: Connection
            let reused: Bool
            do {
                // A retry always gets a new connection: another pooled one may be just as stale (llama.cpp's server closes
                // every connection after a streamed response).
                (connection, reused) = try await acquire(fresh: retries > 0)
            } catch {
                let timedOut = if case ChannelError.connectTimeout = error { true } else { false }
                let othersOpen = openConnections.load(ordering: .relaxed) > 0
                if ChainStateMachine.retriesConnect(timedOut: timedOut, retries: retries, otherConnectionsOpen: othersOpen, cancelled: Task.isCancelled) {
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
            case let .retryLater(request, delay, refusal):
                release(connection, reusable: refusal.keepAlive)
                guard await waitToRetry(request, delay: delay, refusal: refusal, hooks: hooks) else { return }
                current = request
                retries = 0
            }
        }
    }

    /// Waits before a refused request's next attempt; the slot stays the request's meanwhile, as a client that honours
    /// Retry-After holds its turn. Cancelled while waiting, the refusal is its answer and the chain ends (false).
    private func waitToRetry(_ request: ChainedRequest, delay: UInt64, refusal: RawResponse, hooks: ChainHooks) async -> Bool {
        do {
            try await Task.sleep(nanoseconds: delay)
            return true
        } catch {
            hooks.completed(request, refusal)
            return false
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
                                 retry: retry, promise: promise)
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
        // With TLS, the connection is only handed out once its handshake succeeded, so a refused certificate is a connect failure.
        let handshake: EventLoopPromise<Void>? = tls == nil ? nil : group.next().makePromise()
        var bootstrap = bootstrap(handshake: handshake)
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

    /// A bootstrap whose channels carry TLS (when configured, completing `handshake`), the HTTP codec and a response handler
    /// bound to their loop's send queue and watchdog.
    private func bootstrap(handshake: EventLoopPromise<Void>?) -> ClientBootstrap {
        let tls = self.tls
        let host = self.host
        let perLoop = self.perLoop
        return ClientBootstrap(group: group)
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
    }

    private func release(_ connection: Connection, reusable: Bool) {
        if reusable, connection.channel.isActive {
            idle.withLock { $0.append(connection) }
        } else {
            connection.channel.close(promise: nil)
        }
    }

}

/// Set once, read from any thread.
final class FailureFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .relaxed) }

    func set() { value.store(true, ordering: .relaxed) }
}

/// Holds the one response of a single-request chain.
final class ResponseBox: Sendable {
    private let value = Mutex<RawResponse?>(nil)

    func store(_ response: RawResponse) { value.withLock { $0 = response } }

    func load() -> RawResponse { value.withLock { $0 } ?? RawResponse() }
}
