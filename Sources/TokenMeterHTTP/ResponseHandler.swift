import NIOCore
import NIOHTTP1
import NIOSSL
import TokenMeterCore

struct Connection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<StreamingResponseHandler>
}

/// Collects one response at a time on its channel's event loop: timestamps each burst of reads, feeds the
/// `ResponseStateMachine`, and carries out what it answers (hand the response over, close the connection).
final class StreamingResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private var context: ChannelHandlerContext?
    private var state = ResponseStateMachine()
    private var onFinish: ((RawResponse) -> Void)?
    /// When the burst of reads in progress arrived: every event of one burst shares it.
    private var readTime: UInt64?
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
        guard let context, context.channel.isActive, state.phase == .idle else {
            onFinish(state.refusal)
            return
        }
        self.onFinish = onFinish
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.uri)
        for (name, value) in request.headers { head.headers.add(name: name, value: value) }
        if let requestID { head.headers.replaceOrAdd(name: "X-Request-Id", value: requestID) }
        head.headers.replaceOrAdd(name: "Content-Length", value: String(request.bodyLength))
        state.requestSent(settings: settings, now: MonotonicClock.nowNanoseconds())
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        // The parts are written as they are: NIO hands them to the socket without copying them into one buffer.
        for part in request.bodyParts where part.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func cancel() {
        perform(state.cancel(now: MonotonicClock.nowNanoseconds()))
    }

    /// Fails the request in flight, and closes its connection, once it is past its read or total timeout.
    func checkTimeouts() {
        perform(state.checkTimeouts(now: MonotonicClock.nowNanoseconds()))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now: UInt64
        if let readTime { now = readTime } else {
            now = MonotonicClock.nowNanoseconds()
            readTime = now
        }
        switch unwrapInboundIn(data) {
        case let .head(head):
            var recorded: [(String, String)] = []
            for (name, value) in head.headers where RawResponse.isRecorded(name) { recorded.append((name.lowercased(), value)) }
            perform(state.headReceived(status: Int(head.status.code), keepAlive: head.isKeepAlive,
                                       contentType: head.headers.first(name: "content-type"), recorded: recorded, now: now))
        case let .body(buffer):
            perform(buffer.withUnsafeReadableBytes { state.bodyReceived($0, now: now) })
        case .end:
            perform(state.endReceived(now: now))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readTime = nil
        state.readComplete()
        context.fireChannelReadComplete()
        dueSends?.fireIfDue()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure: RequestFailure
        if let ssl = error as? NIOSSLError, case .uncleanShutdown = ssl {
            // The peer closed without a TLS close_notify: during a response that is a reset, after one it is nothing.
            failure = RequestFailure(kind: .reset, message: "connection closed by the server before the response completed")
        } else {
            failure = StreamingHTTPClient.tlsFailure(error)
                ?? RequestFailure(kind: .reset, message: "connection error: \(StreamingHTTPClient.describe(error))")
        }
        perform(state.failed(failure, now: MonotonicClock.nowNanoseconds()))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(state.channelInactive(now: MonotonicClock.nowNanoseconds()))
        context.fireChannelInactive()
    }

    /// Carries out the state machine's answer: the waiting request gets its response (and may write the chain's next
    /// request on this connection right away, when it is kept alive), then the connection closes if it must.
    private func perform(_ action: ResponseStateMachine.Action) {
        guard case let .finish(response, close) = action else { return }
        let finish = onFinish
        onFinish = nil
        finish?(response)
        if close { context?.close(promise: nil) }
    }
}
