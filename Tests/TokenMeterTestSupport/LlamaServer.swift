import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

#if canImport(Glibc)
import Glibc
#endif

/// A real llama.cpp server for the tests: the `llama-server` binary, tiny model and tokenizer that scripts/llama-server builds
/// (named by `TOKENMETER_LLAMA_SERVER`, `TOKENMETER_LLAMA_MODEL`, `TOKENMETER_LLAMA_TOKENIZER`; scripts/test sets them), started
/// on 127.0.0.1 at a free port with its Prometheus metrics on, and stopped by the test. Missing, it fails the test that
/// needs it with what to run; it never skips.
public final class LlamaServer: Sendable {
    /// The port it listens on.
    public let port: Int
    /// `http://127.0.0.1:PORT/v1`.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }
    /// The model name it answers to.
    public let model = "tiny-qwen2"
    /// The tokenizer.json folder of the model's vocabulary.
    public let tokenizer: String
    /// Its log (standard output and error).
    public let log: String
    private let process: ChildProcess

    private init(port: Int, tokenizer: String, log: String, process: ChildProcess) {
        self.port = port
        self.tokenizer = tokenizer
        self.log = log
        self.process = process
    }

    /// Starts a server with `slots` parallel slots of `contextPerSlot` tokens each and waits until it answers `/health` (60 s at
    /// most).
    public static func start(slots: Int = 4, contextPerSlot: Int = 2048, extraArguments: [String] = []) async throws -> LlamaServer {
        let env = ProcessInfo.processInfo.environment
        guard let binary = env["TOKENMETER_LLAMA_SERVER"], let model = env["TOKENMETER_LLAMA_MODEL"], let tokenizer = env["TOKENMETER_LLAMA_TOKENIZER"] else {
            throw TestServerError(message: "TOKENMETER_LLAMA_SERVER/_MODEL/_TOKENIZER are not set: run eval \"$(scripts/llama-server)\" (scripts/test does)")
        }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestServerError(message: "\(binary) is not an executable; run scripts/llama-server")
        }
        let port = TestPostgres.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("llama-server-\(port)-\(UUID().uuidString).log").path
        let argv = [binary, "-m", model, "--host", "127.0.0.1", "--port", String(port), "-np", String(slots), "-c", String(slots * contextPerSlot),
                    "-t", "1", "--metrics", "--alias", "tiny-qwen2"] + extraArguments
        let process = try ChildProcess.spawn(argv, stdout: .file(log, append: false), stderr: .sameAsOutput)
        let server = LlamaServer(port: port, tokenizer: tokenizer, log: log, process: process)
        Running.add(process.pid)
        for _ in 0..<600 {
            if await server.healthy() { return server }
            if let status = process.terminationStatus {
                Running.remove(process.pid)
                let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.suffix(1500) ?? ""
                throw TestServerError(message: "llama-server exited at start (status \(status)):\n\(tail)")
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        await server.stop()
        throw TestServerError(message: "llama-server did not answer /health within 60 s; see \(log)")
    }

    private func healthy() async -> Bool {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/health")!)
        request.timeoutInterval = 2
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return false }
        return (response as? HTTPURLResponse)?.statusCode == 200
    }

    /// The server's `/metrics` text.
    public func metrics() async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        return String(decoding: data, as: UTF8.self)
    }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its log.
    public func stop() async {
        await process.stop(grace: 10)
        Running.remove(process.pid)
        try? FileManager.default.removeItem(atPath: log)
    }

    /// Servers still running, killed when the test process exits (a failed test may not reach its stop).
    private enum Running {
        static let pids = Mutex<Set<pid_t>>([])
        static let registered: Void = { atexit { Running.pids.withLock { for p in $0 { kill(p, SIGKILL) } } } }()

        static func add(_ pid: pid_t) {
            _ = registered
            pids.withLock { _ = $0.insert(pid) }
        }

        static func remove(_ pid: pid_t) { pids.withLock { _ = $0.remove(pid) } }
    }
}
