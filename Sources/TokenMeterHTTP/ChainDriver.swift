import NIOCore
import Synchronization
import TokenMeterCore

/// Drives a chain on one connection: feeds the `ChainStateMachine` the response handler's results and carries out its
/// decisions. Its state is only touched on the connection's event loop (`start`, `cancel` and the handler's callback all run
/// there), which is what makes the unchecked `Sendable` sound.
final class ChainDriver: @unchecked Sendable {
    private let connection: Connection
    private let hooks: ChainHooks
    private let reuse: ReuseHistory
    private let settings: ExchangeSettings
    private let promise: EventLoopPromise<ChainExit>
    private var state: ChainStateMachine
    /// Set once the promise is completed: the connection may already serve another chain, so a late cancel must not touch it.
    private var done = false

    init(connection: Connection, hooks: ChainHooks, reuse: ReuseHistory, current: ChainedRequest, retries: Int, reused: Bool,
         settings: ExchangeSettings, retry: RetryPolicy?, promise: EventLoopPromise<ChainExit>) {
        self.connection = connection
        self.hooks = hooks
        self.reuse = reuse
        self.settings = settings
        self.promise = promise
        state = ChainStateMachine(current: current, retries: retries, reused: reused, retry: retry)
    }

    /// Writes the current request; a second call (a due send fired after a cancel already started it) does nothing.
    func start() {
        connection.channel.eventLoop.assertInEventLoop()
        guard !done else { return }
        switch state.start() {
        case let .write(request): write(request)
        case let .cancelledBeforeSending(request):
            hooks.completed(request, .cancelledBeforeSending)
            exit(.ended(reusable: true))
        case .none: break
        }
    }

    func cancel() {
        connection.channel.eventLoop.assertInEventLoop()
        guard !done else { return }
        if state.cancel() { connection.handler.value.cancel() } else { start() }
    }

    private func write(_ request: ChainedRequest) {
        connection.handler.value.start(request.request, requestID: request.requestID, settings: settings) { self.finished($0) }
    }

    private func exit(_ exit: ChainExit) {
        done = true
        promise.succeed(exit)
    }

    private func finished(_ result: RawResponse) {
        let response: RawResponse
        switch state.responseEnded(result, jitter: Double.random(in: 0..<1)) {
        case let .retryOnFreshConnection(request):
            reuse.closedByServer()
            exit(.retry(request))
            return
        case let .retryLater(request, delay, refusal):
            exit(.retryLater(request, delay: delay, response: refusal))
            return
        case let .deliver(request, delivered, noteKept):
            if noteKept { reuse.kept() }
            hooks.completed(request, delivered)
            response = delivered
        }
        let reusable = response.failure == nil && response.keepAlive && connection.channel.isActive && !reuse.serverCloses
        switch state.proceed(next: state.wantsNext ? hooks.next() : nil, reusable: reusable) {
        case let .exit(chainExit): exit(chainExit)
        case let .write(next): write(next)
        }
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
