import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TokenMeterCore
import TokenMeterModel

/// The OpenAI-compatible reference target: a simulated continuous-batching engine behind real HTTP.
public final class ReferenceTarget: Sendable {
    /// The settings it runs with.
    public let configuration: TargetConfiguration
    /// The port it listens on.
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let engine: NIOLoopBound<EngineLoop>
    /// Set by the first `stop()`; holds the ground truth as it was then, so it stays readable afterwards.
    private let stopped = Mutex<[GroundTruthRecord]?>(nil)

    private init(configuration: TargetConfiguration, port: Int, group: MultiThreadedEventLoopGroup, serverChannel: any Channel,
                 engine: NIOLoopBound<EngineLoop>) {
        self.configuration = configuration
        self.port = port
        self.group = group
        self.serverChannel = serverChannel
        self.engine = engine
    }

    /// Binds and starts serving; the engine and every connection share one event loop, so no locks are needed.
    public static func start(_ configuration: TargetConfiguration) async throws -> ReferenceTarget {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let engine = try await loop.submit { NIOLoopBound(EngineLoop(loop: loop, configuration: configuration), eventLoop: loop) }.get()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(TargetHTTPHandler(engine: engine.value, configuration: configuration))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let port = channel.localAddress?.port ?? configuration.port
        return ReferenceTarget(configuration: configuration, port: port, group: group, serverChannel: channel, engine: engine)
    }

    /// The OpenAI base URL, e.g. `http://127.0.0.1:41234/v1`.
    public var baseURL: String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "http://\(host):\(port)/v1"
    }

    /// The ground-truth records so far (after `stop()`, those it had then).
    public func groundTruth() async -> [GroundTruthRecord] {
        if let final = stopped.withLock({ $0 }) { return final }
        return (try? await engine.eventLoop.submit { self.engine.value.groundTruth }.get()) ?? []
    }

    /// Stops listening, writes the ground-truth log if asked, and shuts the event loop down; later calls do nothing.
    public func stop() async {
        let records = (try? await engine.eventLoop.submit { self.engine.value.groundTruth }.get()) ?? []
        let first = stopped.withLock { state -> Bool in
            guard state == nil else { return false }
            state = records
            return true
        }
        guard first else { return }
        try? await serverChannel.close()
        if let path = configuration.groundTruthPath {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var text = ""
            for record in records {
                if let data = try? encoder.encode(record) { text += String(decoding: data, as: UTF8.self) + "\n" }
            }
            try? text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try? await group.shutdownGracefully()
    }
}
