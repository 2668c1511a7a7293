import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterResults
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
/// Through `ChildProcess` (posix_spawn, waitpid, no inherited descriptors): see there why not Foundation's Process.
func tokenmeter(_ arguments: [String], environment: [String: String] = [:], interruptWhen: (@Sendable () -> Bool)? = nil,
                signal: Int32 = SIGINT, timeout: Double = 120, directory: URL? = nil, stdoutFile: URL? = nil,
                prlimitFiles: Int? = nil) async throws -> Outcome {
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

    // With `prlimitFiles`, under util-linux's prlimit(1), which execs it with that open-file limit (soft and hard).
    let limit = prlimitFiles.map { ["/usr/bin/prlimit", "--nofile=\($0):\($0)"] } ?? []
    let child = try ChildProcess.spawn(limit + [binary.path] + arguments, environment: env, directory: directory?.path,
                                       stdout: stdoutFile.map { .file($0.path, append: false) } ?? .pipe, stderr: .pipe)
    async let stdoutData = child.output()
    async let stderrData = child.errorOutput()
    if let interruptWhen {
        // Watched from a thread of its own: the two-wide cooperative pool, which the rest of the suite keeps busy, must not
        // delay the signal (one clean-clone run saw three such benches run to their end, their watching loops not run for
        // ~20 s while result.json already held the point they waited for).
        let until = Date().addingTimeInterval(timeout)
        await onOwnThread {
            while child.isRunning, !interruptWhen(), Date() < until { usleep(50_000) }
            child.signal(signal)
        }
    }
    if try await child.wait(timeout: timeout) == nil { await child.stop(signal: SIGKILL) }
    return Outcome(status: child.terminationStatus ?? -1, stdout: String(decoding: await stdoutData, as: UTF8.self),
                   stderr: String(decoding: await stderrData, as: UTF8.self))
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
        let r = try await tokenmeter(["bench"], timeout: 150, directory: dir)
        let seconds = Date().timeIntervalSince(start)
        #expect(r.status == 0, "\(r.stderr)")
        // A release build runs the default sweep in ~31 s here, mostly the target's simulated time; this debug build takes
        // ~51 s alone (client and target in one unoptimised process) and 56-66 s beside the rest of the suite.
        #expect(seconds < 100, "the default sweep took \(seconds) s")
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
        #expect(result.config["label"]?.stringValue == "from-yaml")
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
        let log = dir.appendingPathComponent("target.log").path
        let target = try ChildProcess.spawn([binary.path, "target", "--port", "0", "--time-scale", "0.1", "--ground-truth", truth.path],
                                            stdout: .file(log, append: false), stderr: .sameAsOutput)
        defer { target.kill() }
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
        target.signal(SIGTERM)
        let status = try await target.wait(timeout: 30)
        #expect(status == 0 && !target.signaled, "status \(String(describing: status))")
        let lines = try String(contentsOf: truth, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)  // 2 warm-up + 4 measured
    }
}

@Suite struct OpenFileLimitTests {
    /// A concurrency the process cannot hold sockets for is refused before anything runs, with what to do.
    @Test func aConcurrencyBeyondTheOpenFileLimitIsAClearError() async throws {
        let r = try await tokenmeter(["bench", "--concurrency", "2000", "--requests", "2000", "--no-store"], prlimitFiles: 1024)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("2000 concurrent streams need about 2256 open files, but this process may open 1024"), "\(r.stderr)")
        #expect(r.stderr.contains("ulimit -Hn"))
    }
}
