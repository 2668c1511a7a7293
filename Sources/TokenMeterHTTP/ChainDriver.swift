import NIOCore
import Synchronization
import TokenMeterCore

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
