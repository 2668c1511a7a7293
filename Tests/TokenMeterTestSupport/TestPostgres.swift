import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server for the tests: initialised in a temporary folder, started on 127.0.0.1 at a free port (as the
/// `postgres` user when the tests run as root, since PostgreSQL refuses to run as root), and stopped when the test process
/// exits. scripts/test installs PostgreSQL from Debian packages when it is missing; a missing server fails the tests that
/// need it, it never skips them.
public enum TestPostgres {
    struct Server: Sendable {
        var port: Int
        var directory: String
        var bin: String
    }

    private static let started: Result<Server, TestServerError> = start()

    /// The shared server, started on first use.
    static func server() throws -> Server { try started.get() }

    /// A new, empty database on the shared server; returns its URL.
    public static func freshDatabase() async throws -> String {
        // The first use starts the server: blocking work, so on a thread of its own.
        let server = try await onOwnThread { () -> Result<Server, TestServerError> in started }.get()
        let name = "tm_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let status = await onOwnThread { run([server.bin + "/createdb", "-h", "127.0.0.1", "-p", String(server.port), "-U", "tokenmeter", String(name)],
                                              log: server.directory + "/createdb.log") }
        guard status == 0 else { throw TestServerError(message: "createdb \(name) failed (exit \(status)); see \(server.directory)/createdb.log") }
        return "postgres://tokenmeter@127.0.0.1:\(server.port)/\(name)"
    }

    /// Runs SQL on a database of the shared server (its URL from `freshDatabase`) through psql; returns psql's exit status.
    public static func execute(_ sql: String, database url: String) -> Int32 {
        guard let server = try? started.get(), let name = url.split(separator: "/").last else { return -1 }
        return run([server.bin + "/psql", "-h", "127.0.0.1", "-p", String(server.port), "-U", "tokenmeter", "-d", String(name), "-c", sql],
                   log: server.directory + "/psql.log")
    }

    private static func start() -> Result<Server, TestServerError> {
        guard let bin = binaries() else {
            return .failure(TestServerError(message: "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run scripts/test, which installs it"))
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenmeter-pg-\(UUID().uuidString)").path
        let data = directory + "/data"
        try? FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let asRoot = getuid() == 0
        if asRoot { _ = run(["/bin/chown", "-R", "postgres:postgres", directory], log: "/dev/null") }
        func asServer(_ argv: [String]) -> [String] { asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + argv : argv }
        let log = directory + "/setup.log"
        guard run(asServer([bin + "/initdb", "-D", data, "-A", "trust", "-U", "tokenmeter", "--no-sync"]), log: log) == 0 else {
            return .failure(TestServerError(message: "initdb failed; see \(log)"))
        }
        let port = freePort()
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        guard run(asServer([bin + "/pg_ctl", "-D", data, "-o", options, "-w", "-t", "60", "-l", directory + "/server.log", "start"]), log: log) == 0 else {
            return .failure(TestServerError(message: "pg_ctl start failed; see \(log) and \(directory)/server.log"))
        }
        stopCommand = asServer([bin + "/pg_ctl", "-D", data, "-m", "immediate", "stop"])
        serverDirectory = directory
        atexit {
            if let command = TestPostgres.stopCommand { _ = TestPostgres.run(command, log: "/dev/null") }
            if let directory = TestPostgres.serverDirectory { try? FileManager.default.removeItem(atPath: directory) }
        }
        return .success(Server(port: port, directory: directory, bin: bin))
    }

    nonisolated(unsafe) static var stopCommand: [String]?
    nonisolated(unsafe) static var serverDirectory: String?

    /// The newest installed PostgreSQL's bin folder.
    static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for v in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(v)/bin/initdb") { return "\(root)/\(v)/bin" }
        return nil
    }

    /// A port nobody listens on right now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a program to its end with output to a log file (no pipes: `pg_ctl start` leaves a server holding them) and returns
    /// its exit status; blocks the calling thread.
    public static func run(_ argv: [String], log: String) -> Int32 { ChildProcess.runBlocking(argv, log: log) }
}

public struct TestServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
