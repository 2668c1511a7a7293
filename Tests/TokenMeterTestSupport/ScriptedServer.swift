import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// How the scripted server answers one request.
public enum Script: Sendable {
    /// A whole response.
    case status(Int, String, contentType: String = "application/json")
    /// SSE frames, `gapMilliseconds` apart; closes the connection afterwards while advertising keep-alive when `closeAfter`.
    case stream([String], gapMilliseconds: Int = 1, closeAfter: Bool = false)
    /// SSE frames, then the connection is closed without ending the response.
    case cut([String])
    /// Sends the head, then nothing.
    case stall
    /// Closes the connection as soon as the request arrives.
    case closeImmediately
    /// A plain-text 200 response whose body is made when the request arrives (a fake exporter's changing counters).
    case text(@Sendable () -> String)
}

/// A loopback HTTP server that answers each request with the next step of a script (the last one repeats).
public final class ScriptedServer: Sendable {
    /// The port it listens on.
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let state: Handled

    final class Handled: Sendable {
        let count = Atomic<Int>(0)
        let connections = Atomic<Int>(0)
        let scripts: [Script]
        init(_ scripts: [Script]) { self.scripts = scripts }
        func next() -> Script {
            let i = count.add(1, ordering: .relaxed).oldValue
            return scripts[min(i, scripts.count - 1)]
        }
    }

    /// Starts the server; with `tls` it speaks HTTPS.
    public init(_ scripts: [Script], tls: NIOSSLContext? = nil) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = Handled(scripts)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.connections.add(1, ordering: .relaxed)
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScriptHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.group = group
        self.channel = channel
        self.state = state
        port = channel.localAddress?.port ?? 0
    }

    /// Requests answered so far.
    public var requests: Int { state.count.load(ordering: .relaxed) }
    /// Connections accepted so far.
    public var connections: Int { state.connections.load(ordering: .relaxed) }

    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

private final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let state: ScriptedServer.Handled

    init(state: ScriptedServer.Handled) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let channel = context.channel
        switch state.next() {
        case let .text(make):
            let body = make()
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Type", value: "text/plain; version=0.0.4")
            head.headers.add(name: "Content-Length", value: String(body.utf8.count))
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        case let .status(code, body, contentType):
            var head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: code))
            head.headers.add(name: "Content-Type", value: contentType)
            head.headers.add(name: "Content-Length", value: String(body.utf8.count))
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        case let .stream(frames, gap, closeAfter):
            writeStreamHead(channel)
            send(frames, gap: gap, channel: channel) {
                channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in
                    if closeAfter { channel.close(promise: nil) }
                }
            }
        case let .cut(frames):
            writeStreamHead(channel)
            send(frames, gap: 1, channel: channel) { channel.close(promise: nil) }
        case .stall:
            writeStreamHead(channel)
        case .closeImmediately:
            channel.close(promise: nil)
        }
    }

    private func writeStreamHead(_ channel: any Channel) {
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "Content-Type", value: "text/event-stream")
        channel.writeAndFlush(HTTPServerResponsePart.head(head), promise: nil)
    }

    private func send(_ frames: [String], gap: Int, channel: any Channel, then done: @escaping @Sendable () -> Void) {
        guard let first = frames.first else { return done() }
        channel.eventLoop.scheduleTask(in: .milliseconds(Int64(gap))) {
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: first))), promise: nil)
            self.send(Array(frames.dropFirst()), gap: gap, channel: channel, then: done)
        }
    }
}

extension ScriptHandler: @unchecked Sendable {}  // Only touched on its channel's event loop; scheduled closures run there too.

/// Frames of a small, well-formed completions stream of `n` tokens.
public func completionFrames(_ n: Int, usage: Bool = true) -> [String] {
    var frames = (1...n).map { i in
        "data: {\"choices\":[{\"index\":0,\"text\":\" t\(i)\",\"finish_reason\":\(i == n ? "\"length\"" : "null")}]}\n\n"
    }
    if usage { frames.append("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":\(n)}}\n\n") }
    frames.append("data: [DONE]\n\n")
    return frames
}
