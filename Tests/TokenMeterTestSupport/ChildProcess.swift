import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A program the tests run (tokenmeter itself, PostgreSQL, llama-server, openssl, script(1), Chromium): posix_spawn, reaped
/// with waitpid, never waited for on the cooperative pool.
///
/// Two faults this replaces. Foundation's `Process` has missed a child's exit (it stayed a zombie, `isRunning` stayed true and
/// `waitUntilExit` spun at full CPU), which hung the suite. And a bare posix_spawn child inherits every descriptor the test
/// process has open without close-on-exec — including the pipe another test is reading its own child's output from at that
/// moment: a PostgreSQL server started then kept that pipe open until the suite's end, so that test never saw end-of-file and
/// the suite never ended. Here every child gets standard input, output and error and nothing else (closefrom 3), and the
/// test's own pipe ends are close-on-exec.
public final class ChildProcess: Sendable {
    public enum Input: Sendable {
        case null
        /// A pipe the test writes with `write(_:)`.
        case pipe
    }

    public enum Output: Sendable {
        case null
        /// A pipe the test reads to its end with `output()` / `errorOutput()`.
        case pipe
        /// A file, created if missing.
        case file(String, append: Bool)
        /// Whatever standard output gets (only for standard error).
        case sameAsOutput
    }

    public let pid: pid_t
    private let input: Int32?
    private let outputRead: Int32?
    private let errorRead: Int32?
    private let status = Mutex<Int32?>(nil)

    private init(pid: pid_t, input: Int32?, outputRead: Int32?, errorRead: Int32?) {
        self.pid = pid
        self.input = input
        self.outputRead = outputRead
        self.errorRead = errorRead
    }

    deinit {
        for fd in [input, outputRead, errorRead].compactMap({ $0 }) { close(fd) }
    }

    /// Starts `argv` (argv[0] an absolute path) with `environment` (the test process's own when nil) in `directory`.
    public static func spawn(_ argv: [String], environment: [String: String]? = nil, directory: String? = nil,
                             stdin: Input = .null, stdout: Output = .null, stderr: Output = .null) throws -> ChildProcess {
        guard let program = argv.first else { throw TestServerError(message: "nothing to run") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentEnds: [Int32] = []
        var childEnds: [Int32] = []
        defer { childEnds.forEach { close($0) } }
        func pipePair() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { throw TestServerError(message: "pipe failed: errno \(errno)") }
            // Close-on-exec for children started elsewhere (Foundation's Process closes what it does not pass; ours below too).
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }
        var inputWrite: Int32?
        switch stdin {
        case .null:
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        case .pipe:
            let p = try pipePair()
            childEnds.append(p.read)
            parentEnds.append(p.write)
            inputWrite = p.write
            posix_spawn_file_actions_adddup2(&actions, p.read, 0)
            // A write to a child that stopped reading is an error to report, not a signal that ends the test process.
            _ = Glibc.signal(SIGPIPE, SIG_IGN)
        }
        func route(_ output: Output, to fd: Int32) throws -> Int32? {
            switch output {
            case .null:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
            case .pipe:
                let p = try pipePair()
                childEnds.append(p.write)
                parentEnds.append(p.read)
                posix_spawn_file_actions_adddup2(&actions, p.write, fd)
                return p.read
            case .file(let path, let append):
                posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o644)
            case .sameAsOutput:
                posix_spawn_file_actions_adddup2(&actions, 1, fd)
            }
            return nil
        }
        let outputRead: Int32?
        let errorRead: Int32?
        do {
            outputRead = try route(stdout, to: 1)
            errorRead = try route(stderr, to: 2)
        } catch {
            parentEnds.forEach { close($0) }
            throw error
        }
        guard GNUSpawn.closeFrom(&actions, 3) == 0 else { throw TestServerError(message: "posix_spawn_file_actions_addclosefrom_np failed") }
        if let directory {
            guard GNUSpawn.changeDirectory(&actions, directory) == 0 else { throw TestServerError(message: "cannot change to \(directory)") }
        }
        let env = environment ?? ProcessInfo.processInfo.environment
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, program, &actions, nil, cArgs, cEnv)
        guard spawned == 0 else {
            parentEnds.forEach { close($0) }
            throw TestServerError(message: "cannot start \(program): \(String(cString: strerror(spawned)))")
        }
        return ChildProcess(pid: pid, input: inputWrite, outputRead: outputRead, errorRead: errorRead)
    }

    /// The wait status once the child has ended (reaped on the first call that sees it), nil while it runs.
    public func poll() -> Int32? {
        status.withLock { known in
            if known == nil {
                var raw: Int32 = 0
                var r: pid_t
                repeat { r = waitpid(pid, &raw, WNOHANG) } while r == -1 && errno == EINTR
                if r == pid { known = raw }
            }
            return known
        }
    }

    public var isRunning: Bool { poll() == nil }

    /// The exit code, or the signal number for a child a signal ended (as Foundation's `terminationStatus` gives it); nil
    /// while it runs.
    public var terminationStatus: Int32? { poll().map { ($0 & 0x7f) == 0 ? ($0 >> 8) & 0xff : $0 & 0x7f } }

    /// True when a signal ended the child.
    public var signaled: Bool { poll().map { ($0 & 0x7f) != 0 } ?? false }

    public func signal(_ number: Int32) {
        if isRunning { Glibc.kill(pid, number) }
    }

    /// Waits (polling, so no thread blocks) until the child ends or `timeout` passes; then the termination status, or nil.
    @discardableResult
    public func wait(timeout: Double) async throws -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning, Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        return terminationStatus
    }

    /// Ends the child: `signal`, then SIGKILL if it has not ended after `grace` seconds; returns its termination status.
    @discardableResult
    public func stop(signal number: Int32 = SIGTERM, grace: Double = 10) async -> Int32 {
        signal(number)
        let deadline = Date().addingTimeInterval(grace)
        while isRunning {
            if Date() >= deadline { signal(SIGKILL) }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return terminationStatus ?? -1
    }

    /// Kills the child if it still runs and reaps it, so it does not linger as a zombie until the test process exits. SIGKILL
    /// cannot be caught, so the wait is only the kernel's clean-up; for `defer`.
    public func kill() {
        signal(SIGKILL)
        _ = waitBlocking()
    }

    /// Blocks the calling thread until the child ends: only for a thread of its own or an exit handler, never the cooperative pool.
    public func waitBlocking() -> Int32 {
        status.withLock { known in
            if known == nil {
                var raw: Int32 = 0
                var r: pid_t
                repeat { r = waitpid(pid, &raw, 0) } while r == -1 && errno == EINTR
                if r == pid { known = raw }
            }
        }
        return terminationStatus ?? -1
    }

    /// Writes to the child's standard input (`stdin: .pipe`).
    public func write(_ data: Data) throws {
        guard let input else { throw TestServerError(message: "standard input is not a pipe") }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(input, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TestServerError(message: "write to the child's input failed: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }

    /// Everything the child writes to standard output until it closes it (`stdout: .pipe`); read on a thread of its own.
    public func output() async -> Data { await Self.readToEnd(outputRead) }

    /// Everything the child writes to standard error until it closes it (`stderr: .pipe`).
    public func errorOutput() async -> Data { await Self.readToEnd(errorRead) }

    private static func readToEnd(_ fd: Int32?) async -> Data {
        guard let fd else { return Data() }
        return await onOwnThread {
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n > 0 { data.append(contentsOf: buffer[0..<n]) } else if n == 0 || errno != EINTR { break }
            }
            return data
        }
    }

    /// Runs `argv` to its end, blocking the calling thread (one of its own, or an exit handler), with its output to `log`;
    /// returns the exit status (128 + the signal for a child a signal ended), -1 if it cannot start.
    public static func runBlocking(_ argv: [String], log: String) -> Int32 {
        guard let child = try? spawn(argv, stdout: .file(log, append: true), stderr: .sameAsOutput) else { return -1 }
        let code = child.waitBlocking()
        return child.signaled ? 128 + code : code
    }
}

/// Runs blocking work on a thread of its own: never on the two-wide cooperative pool, and not on Dispatch's shared threads
/// either, which a read that may wait for minutes would hold.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// glibc's posix_spawn extensions (2.29 and 2.34), which Swift's Glibc module does not declare (it is built without
/// _GNU_SOURCE): looked up by name.
private enum GNUSpawn {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    private static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("\(name) is missing: the tests need glibc 2.34 or newer")
        }
        return unsafeBitCast(address, to: type)
    }

    static func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32 {
        symbol("posix_spawn_file_actions_addclosefrom_np", as: CloseFrom.self)(actions, lowest)
    }

    static func changeDirectory(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: String) -> Int32 {
        path.withCString { symbol("posix_spawn_file_actions_addchdir_np", as: ChangeDirectory.self)(actions, $0) }
    }
}
