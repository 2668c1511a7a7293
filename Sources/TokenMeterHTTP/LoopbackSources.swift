import NIOCore
import Synchronization

/// Source addresses for connections to a loopback IPv4 target once many are open.
///
/// Linux searches the ephemeral port range inside `connect()` for a free 4-tuple, a search that grows with the connections
/// already open from one source to one destination (docs/performance.md). Past `threshold` open connections each new one
/// binds to the next of 127.0.0.2 ... 127.0.0.(1 + count), each with its own port range. Below it, and for a target that
/// is not a 127.x.y.z literal, nothing changes (a server that admits only 127.0.0.1 works for smaller runs).
final class LoopbackSources: Sendable {
    static let threshold = 4096
    static let count = 62

    private let enabled: Bool
    private let next = Atomic<Int>(0)

    init(host: String) {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        enabled = parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The source address for a new connection when `open` connections (this one included) are open, or nil for the
    /// system's choice.
    func source(whenOpen open: Int) -> SocketAddress? {
        guard enabled, open > Self.threshold else { return nil }
        let k = next.add(1, ordering: .relaxed).newValue % Self.count
        return try? SocketAddress(ipAddress: "127.0.0.\(2 + k)", port: 0)
    }
}
