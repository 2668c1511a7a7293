import NIOCore
import NIOSSL
import NIOTLS
import TokenMeterCore

/// A TLS client context: which servers a client trusts.
public typealias TLSContext = NIOSSLContext

extension StreamingHTTPClient {
    /// A TLS client context that verifies servers against the system's roots, or only against the CA in `caFile` (PEM).
    public static func tlsContext(caFile: String?) throws(ConfigError) -> TLSContext {
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
