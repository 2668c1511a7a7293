import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOSSL
import Testing
import TokenMeterCore
@testable import TokenMeterHTTP

/// The response handler in an `EmbeddedChannel`: the request it writes, and what it makes of the parts that come back.
@Suite struct ResponseHandlerChannelTests {
    let settings = ExchangeSettings(timeouts: ClientTimeouts(), maxBodyBytes: 1 << 20, maxEventBytes: 1 << 20)
    let request = PreparedRequest(uri: "/v1/completions", headers: [("Host", "h"), ("Content-Type", "application/json")],
                                  body: Array("{\"prompt\":\"x\"}".utf8), expectsEventStream: true)

    /// A connected channel with the handler, and a box for what the handler hands over.
    func connected() throws -> (EmbeddedChannel, StreamingResponseHandler) {
        let channel = EmbeddedChannel()
        let handler = StreamingResponseHandler(dueSends: nil, watchdog: nil)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8000)).wait()
        return (channel, handler)
    }

    func streamHead(keepAlive: Bool = true) -> HTTPClientResponsePart {
        var headers: HTTPHeaders = ["Content-Type": "text/event-stream"]
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        return .head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))
    }

    @Test func writesTheRequestWithItsIdAndLength() throws {
        let (channel, handler) = try connected()
        handler.start(request, requestID: "p0-3", settings: settings) { _ in }
        guard case let .head(head) = try channel.readOutbound(as: HTTPClientRequestPart.self) else { Issue.record("no head"); return }
        #expect(head.method == .POST && head.uri == "/v1/completions")
        #expect(head.headers["X-Request-Id"] == ["p0-3"] && head.headers["Content-Length"] == ["14"])
        guard case let .body(.byteBuffer(body)) = try channel.readOutbound(as: HTTPClientRequestPart.self) else { Issue.record("no body"); return }
        #expect(body.readableBytes == 14)
        guard case .end = try channel.readOutbound(as: HTTPClientRequestPart.self) else { Issue.record("no end"); return }
        _ = try channel.finish()
    }

    /// Each `writeInbound` is one read (the embedded channel ends it with a read-complete): events of one read share its index.
    @Test func aStreamIsHandedOverWhenItEndsWithEachReadsEventsUnderOneIndex() throws {
        let (channel, handler) = try connected()
        var received: RawResponse?
        handler.start(request, requestID: nil, settings: settings) { received = $0 }
        try channel.writeInbound(streamHead())
        try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(string: "data: {\"a\":1}\n\n")))
        try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(string: "data: {\"b\":2}\n\ndata: [DONE]\n\n")))
        #expect(received?.status == nil)
        try channel.writeInbound(HTTPClientResponsePart.end(nil))
        let response = try #require(received)
        #expect(response.status == 200 && response.failure == nil && response.keepAlive)
        #expect(response.events.map { String(decoding: $0.data, as: UTF8.self) } == ["{\"a\":1}", "{\"b\":2}", "[DONE]"])
        #expect(response.events.map(\.readIndex) == [1, 2, 2])
        #expect(channel.isActive)  // kept alive for the next request
        _ = try channel.finish()
    }

    @Test func aResponseWithoutKeepAliveClosesTheConnectionAfterItIsHandedOver() throws {
        let (channel, handler) = try connected()
        var received: RawResponse?
        handler.start(request, requestID: nil, settings: settings) { received = $0 }
        try channel.writeInbound(streamHead(keepAlive: false))
        try channel.writeInbound(HTTPClientResponsePart.end(nil))
        #expect(received?.keepAlive == false)
        #expect(!channel.isActive)
    }

    @Test func theNextRequestOfAChainGoesOutOnTheSameConnectionFromTheCallback() throws {
        let (channel, handler) = try connected()
        var second: RawResponse?
        handler.start(request, requestID: "first", settings: settings) { _ in
            handler.start(self.request, requestID: "second", settings: self.settings) { second = $0 }
        }
        for _ in 0..<3 { _ = try channel.readOutbound(as: HTTPClientRequestPart.self) }
        try channel.writeInbound(streamHead())
        try channel.writeInbound(HTTPClientResponsePart.end(nil))
        guard case let .head(head) = try channel.readOutbound(as: HTTPClientRequestPart.self) else { Issue.record("no second request"); return }
        #expect(head.headers["X-Request-Id"] == ["second"])
        #expect(second?.status == nil)
        _ = try channel.finish()
    }

    @Test func aConnectionThatClosesMidStreamIsAResetWithTheEventsSoFar() throws {
        let (channel, handler) = try connected()
        var received: RawResponse?
        handler.start(request, requestID: nil, settings: settings) { received = $0 }
        try channel.writeInbound(streamHead())
        try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(string: "data: {\"a\":1}\n\n")))
        channel.pipeline.fireChannelInactive()
        let response = try #require(received)
        #expect(response.failure?.kind == .reset && response.events.count == 1)
    }

    @Test func aTLSErrorWhileIdleRefusesTheNextRequestWithWhatToDo() throws {
        let (channel, handler) = try connected()
        channel.pipeline.fireErrorCaught(NIOSSLError.handshakeFailed(.sslError([])))
        var received: RawResponse?
        handler.start(request, requestID: nil, settings: settings) { received = $0 }
        let failure = try #require(received?.failure)
        #expect(failure.kind == .connect && failure.message.contains("--ca-file"))
    }
}
