import NIOCore
import Synchronization

/// Source addresses for connections to a loopback IPv4 target once many are open.
///
/// Linux picks a connection's ephemeral port by searching the range (32768-60999 by default) for one whose 4-tuple is
/// free; with one source address and one destination, that search inside `connect()` grows with the connections already
/// open. Measured here against the reference target at ~17,500 open connections: connects on the client's event loops
/// took up to 0.8 s together (`__inet_check_established` in the kernel), and every stream on those loops read its tokens
/// that much late. Any address of 127.0.0.0/8 is local on Linux, so past `threshold` open connections each new one binds
/// to the next of 127.0.0.2 ... 127.0.0.(1 + count), which gives each source its own port range. Below the threshold, and
/// for any target that is not a 127.x.y.z literal, nothing changes (a server that only admits 127.0.0.1 keeps working for
/// every run that opens fewer connections than that).
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
