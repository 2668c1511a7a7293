import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterTestSupport

/// The built `tokenmeter` binary, next to the test bundle in the build folder.
let binary: URL = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tokenmeter")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/tokenmeter")
}()

struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the binary with arguments; when `interruptWhen` turns true, sends `signal` (SIGINT by default). Bounded by `timeout`.
///
/// posix_spawn and waitpid rather than Foundation's Process: Process once missed a child's exit (it stayed a zombie) and
/// `waitUntilExit` then spun forever, hanging the whole suite.
func tokenmeter(_ arguments: [String], environment: [String: String] = [:], interruptWhen: (@Sendable () -> Bool)? = nil,
                signal: Int32 = SIGINT, timeout: Double = 120, directory: URL? = nil, stdoutFile: URL? = nil) async throws -> Outcome {
    var env = ProcessInfo.processInfo.environment
    env["TOKENMETER_API_KEY"] = nil
    env["OPENAI_API_KEY"] = nil
    // Each run sees an empty calibration store and its own run store unless the test names them: the user's own fits and
    // runs must not change results, and nothing is left behind.
    let own = FileManager.default.temporaryDirectory.appendingPathComponent("tm-cli-env-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: own) }
    env["TOKENMETER_CALIBRATION_DIR"] = own.appendingPathComponent("calibration").path
    env["TOKENMETER_STORE"] = own.appendingPathComponent("runs.sqlite").path
    env["TOKENMETER_DATABASE_URL"] = nil
    for (k, v) in environment { env[k] = v }

    var out: [Int32] = [-1, -1]
    var err: [Int32] = [-1, -1]
    guard pipe(&out) == 0, pipe(&err) == 0 else { throw CLIHelperError(message: "pipe() failed: errno \(errno)") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    if let stdoutFile {
        // A file when the test watches standard output while the process runs.
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutFile.path, O_WRONLY | O_TRUNC, 0o644)
    } else {
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
    }
    posix_spawn_file_actions_adddup2(&actions, err[1], 2)
    for fd in out + err { posix_spawn_file_actions_addclose(&actions, fd) }
    // A working folder through env(1), which execs the binary in place (same process, so signals still reach it).
    let program = directory == nil ? binary.path : "/usr/bin/env"
    let words = (directory.map { ["/usr/bin/env", "--chdir=\($0.path)", binary.path] } ?? [binary.path]) + arguments
    let argv = words.map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, program, &actions, nil, argv, envp)
    close(out[1])
    close(err[1])
    guard spawned == 0 else {
        close(out[0])
        close(err[0])
        throw CLIHelperError(message: "cannot start \(binary.path): error \(spawned)")
    }
    // Blocking reads run on Dispatch threads: on the 2-wide cooperative pool they would starve this test's own sleep.
    async let stdoutData = readAll(out[0])
    async let stderrData = readAll(err[0])
    var status: Int32 = 0
    func exited() -> Bool { waitpid(pid, &status, WNOHANG) == pid }
    var done = false
    if let interruptWhen {
        let until = Date().addingTimeInterval(timeout)
        while !(done || exited()), !interruptWhen(), Date() < until { try await Task.sleep(nanoseconds: 50_000_000) }
        if !done { kill(pid, signal) }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while !done {
        if exited() {
            done = true
        } else if Date() >= deadline {
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            done = true
        } else {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }
    // Exit status, or the signal number for a process a signal ended (as Foundation's terminationStatus gives it).
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f
    return Outcome(status: code, stdout: String(decoding: await stdoutData, as: UTF8.self),
                   stderr: String(decoding: await stderrData, as: UTF8.self))
}

struct CLIHelperError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Everything a pipe's read end delivers until it closes, read on a Dispatch thread; the descriptor is closed after.
func readAll(_ fd: Int32) async -> Data {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            continuation.resume(returning: handle.readDataToEndOfFile())
        }
    }
}

func scratch() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("tokenmeter-cli-\(UUID().uuidString)") }

@Suite struct CLITests {
    @Test func benchAgainstTheBuiltInTargetPrintsATableAndSavesFiles() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try await tokenmeter(["bench", "--concurrency", "1,2", "--requests", "4", "--isl", "16", "--osl", "8", "--output", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("TTFT p50/p99 ms"))
        #expect(r.stdout.contains("reference target (simulated)"))
        #expect(r.stdout.contains("c=2"))
        let result = try RunResult.read(path: dir.appendingPathComponent("result.json").path)
        #expect(result.points.count == 2)
        #expect(result.provenance.targetKind == "reference target (simulated)")
        // metrics recomputes the same table from the timeline.
        let m = try await tokenmeter(["metrics", dir.appendingPathComponent("timeline.jsonl").path])
        #expect(m.status == 0)
        let recomputed = m.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!recomputed.isEmpty && r.stdout.contains(recomputed))
    }

    @Test func noArgumentsRunsTheDefaultSweepAgainstTheBuiltInTarget() async throws {
        let dir = scratch()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let start = Date()
        let r = try await tokenmeter(["bench"], timeout: 90, directory: dir)
        let seconds = Date().timeIntervalSince(start)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(seconds < 60, "the default sweep took \(seconds) s")
        for label in ["c=1", "c=4", "c=16", "c=64"] { #expect(r.stdout.contains(label)) }
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("tokenmeter-results").path)
        #expect(runs.count == 1)
        let result = try RunResult.read(path: dir.appendingPathComponent("tokenmeter-results/\(runs[0])/result.json").path)
        #expect(result.points.count == 4)
        #expect(result.points.allSatisfy { $0.metrics.requestsFailed == 0 && $0.metrics.shortOutputRequests == 0 })
    }

    @Test func jsonOutputAndYAMLConfigWithFlagOverride() async throws {
        let dir = scratch()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("bench.yaml")
        try "concurrency: [3]\nrequests: 3\nisl: 8\nosl: 4\nlabel: from-yaml\n".write(to: config, atomically: true, encoding: .utf8)
        let r = try await tokenmeter(["bench", "--config", config.path, "--osl", "6", "--json", "--quiet", "--output", dir.appendingPathComponent("out").path])
        #expect(r.status == 0, "\(r.stderr)")
        let result = try JSONDecoder().decode(RunResult.self, from: Data(r.stdout.utf8))
        #expect(result.config.label == "from-yaml")
        #expect(result.points.first?.concurrency == 3)
        #expect(result.points.first?.metrics.meanOutputTokens == 6)
    }

    @Test(arguments: [
        ["bench", "--concurrency", "0"],
        ["bench", "--isl", "abc"],
        ["bench", "--url", "ftp://127.0.0.1/v1"],
        ["bench", "--rate", "5", "--concurrency", "1"],
        ["bench", "--config", "/nonexistent/bench.yaml"],
        ["bench", "--slo", "fast"],
        ["bench", "--concurrency", "1,x"],
        ["bench", "--bogus"],
        ["bench", "--api", "grpc"],
        ["bench", "--duration", "forever"],
        ["metrics", "/nonexistent/timeline.jsonl"],
        ["target", "--port", "70000"],
        ["target", "--model", "llama-3.1-8b"],
        ["target", "--hardware", "h100"],
        ["target", "--model", "no-such-model", "--hardware", "h100"],
        ["runs", "show", "r-nope"],
        ["runs", "export", "r-nope", "--format", "xml"],
        ["runs", "compare", "r-only-one"],
        ["runs", "delete"],
        ["report"],
        ["report", "r-nope", "-o", "/tmp/x.html"],
        ["serve", "--port", "70000"],
        ["serve", "--host", "0.0.0.0"],
        ["serve", "--token-file", "/nonexistent/token"],
        ["calibrate", "--list", "--bogus"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--search", "--save"],
    ])
    func badInputExitsWithCodeTwoAndOneLine(_ arguments: [String]) async throws {
        let r = try await tokenmeter(arguments)
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(arguments): \(r.stderr)")
        #expect(lines.first?.hasPrefix("error:") == true)
    }

    @Test func unreachableEndpointExitsWithCodeOne() async throws {
        let r = try await tokenmeter(["bench", "--url", "http://127.0.0.1:9/v1", "--quiet", "--output", scratch().path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot reach http://127.0.0.1:9/v1"))
    }

    @Test func interruptKeepsThePartialRunAndExits130() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let resultPath = dir.appendingPathComponent("result.json").path
        // Open loop: the first point (4/s) takes ~3 s; interrupt once it is saved, during the second, which at 0.5/s would take
        // 20 s — long enough that a busy machine still interrupts it mid-way.
        let r = try await tokenmeter(["bench", "--rate", "4,0.5", "--requests", "10", "--warmup", "0", "--osl", "16", "--tokenize", "off",
                                      "--output", dir.path],
                                     interruptWhen: { ((try? RunResult.read(path: resultPath))?.points.count ?? 0) >= 1 })
        #expect(r.status == 130, "\(r.stderr)")
        #expect(r.stderr.contains("interrupt: cancelling in-flight requests"))
        #expect(r.stderr.contains("interrupted: the measured requests were kept"))
        let result = try RunResult.read(path: resultPath)
        #expect(result.partial)
        #expect(result.points.first?.metrics.requestsSucceeded == 10)
        #expect(result.points.count == 2)
        #expect(result.points.last?.partial == true)
        #expect(result.points.last?.stoppedBy == "interrupted")
    }

    @Test func targetServesUntilInterruptedAndWritesGroundTruth() async throws {
        let dir = scratch()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let truth = dir.appendingPathComponent("truth.jsonl")
        // posix_spawn and waitpid, not Foundation's Process, which has missed a child's exit here (isRunning stayed true).
        let log = dir.appendingPathComponent("target.log").path
        let pid = try #require(TestPostgres.spawn([binary.path, "target", "--port", "0", "--time-scale", "0.1", "--ground-truth", truth.path],
                                                 log: log, append: false))
        var status: Int32 = 0
        var exited = false
        defer { if !exited { kill(pid, SIGKILL); waitpid(pid, &status, 0) } }
        // First line: "reference target listening on http://127.0.0.1:PORT/v1 ...".
        var line = ""
        for _ in 0..<1500 where !line.contains("\n") {
            line = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if !line.contains("\n") { try await Task.sleep(nanoseconds: 20_000_000) }
        }
        let url = try #require(line.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("http://") }.map(String.init))
        let bench = try await tokenmeter(["bench", "--url", url, "--concurrency", "2", "--requests", "4", "--osl", "4", "--quiet",
                                          "--output", dir.appendingPathComponent("run").path])
        #expect(bench.status == 0, "\(bench.stderr)")
        kill(pid, SIGTERM)
        for _ in 0..<1500 where !exited {
            if waitpid(pid, &status, WNOHANG) == pid { exited = true } else { try await Task.sleep(nanoseconds: 20_000_000) }
        }
        #expect(exited)
        #expect(exited && (status & 0x7f) == 0 && (status >> 8) & 0xff == 0, "status \(status)")
        let lines = try String(contentsOf: truth, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)  // 2 warm-up + 4 measured
    }
}
