#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to a free loopback port, closed when released.
public class BoundLoopbackPort {
    /// The bound port.
    public let port: Int
    let fd: Int32

    /// Binds a free loopback port.
    public init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                precondition(bind(fd, raw, length) == 0, "bind failed")
                precondition(getsockname(fd, raw, &length) == 0, "getsockname failed")
            }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

/// A loopback port that is bound but never listens: connecting to it is refused, and no other test can take it while
/// this is alive (freeing a port and hoping it stays free races with servers the parallel tests start).
public final class ClosedPort: BoundLoopbackPort {}

/// A loopback port that listens with the smallest accept queue and never accepts: once the queue is full the kernel drops
/// further SYNs, so a connect times out, as against a server whose accept queue overflows.
public final class FullAcceptQueue: BoundLoopbackPort {
    /// Binds and listens with an accept queue of one.
    public override init() {
        super.init()
        precondition(listen(fd, 0) == 0, "listen failed")
    }
}
