import NIOCore
import NIOHTTP1
import NIOSSL
import TokenMeterCore

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
