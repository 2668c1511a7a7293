import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterReport
import TokenMeterResults

/// `bench --slurm`: the same benchmark as one Slurm job step, one worker per node (`srun --mpi=pmi2 --kill-on-bad-exit=1`),
/// then one merged run: printed, written and kept like a single machine's.
extension BenchCommand {
    func runSlurm() async throws {
        let count = try scaleOut.workerCount()
        guard endpoint.effectiveURL != nil else {
            throw ConfigError(field: "slurm", message: "--slurm needs --url: the workers load an endpoint every node can reach")
        }
        // Every option checked, and the split tried, before anything is launched.
        try checkSplit(over: count)
        let directory = URL(fileURLWithPath: runOptions.output.output ?? Self.defaultOutputDirectory())
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let arguments = ["-N", String(count), "-n", String(count), "--ntasks-per-node=1", "--mpi=pmi2", "--kill-on-bad-exit=1",
                         Self.executablePath(), "bench"] + Self.workerArguments(Array(CommandLine.arguments.dropFirst(2)))
            + ["--worker", "slurm", "--output", directory.path, "--quiet", "--no-store"]
        if !quiet { Terminal.error("tokenmeter bench --slurm: srun \(count) workers → \(directory.path)") }
        let launched = MonotonicClock.nowNanoseconds()
        let status = try Self.run("srun", arguments)
        let stepSeconds = Double(MonotonicClock.nowNanoseconds() - launched) / 1e9
        let folders = (0..<count).map { directory.appendingPathComponent("rank-\($0)").path }
            .filter { FileManager.default.fileExists(atPath: $0 + "/" + WorkerHeader.fileName) }
        guard status == 0 else {
            let kept = folders.isEmpty ? "no worker finished" : "the \(folders.count) finished workers are in \(directory.path) (tokenmeter merge shows what they hold)"
            throw BenchError(message: "srun exited with status \(status): a worker failed and the step was stopped; \(kept). See srun's output above.")
        }
        try await MergeCommand.mergeAndKeep(folders: folders, into: directory, metadata: runOptions.metadata, store: !noStore, json: output.json,
                                            jobStepSeconds: stepSeconds)
    }

    /// This process's executable, as an absolute path a worker on another node can start (a shared file system, or the
    /// same path on every node).
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The launcher's own bench arguments for its workers: without --slurm, --workers and --output (set per worker).
    static func workerArguments(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var skip = false
        for a in arguments {
            if skip { skip = false; continue }
            if a == "--slurm" { continue }
            if a == "--workers" || a == "--output" || a == "-o" || a == "--worker" { skip = true; continue }
            if a.hasPrefix("--workers=") || a.hasPrefix("--output=") || a.hasPrefix("--worker=") { continue }
            out.append(a)
        }
        return out
    }

    /// Runs a program found on PATH, its output passed through; returns its exit status.
    static func run(_ program: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        do { try process.run() } catch {
            throw ConfigError(field: "slurm", message: "cannot run \(program): \(error.localizedDescription); is Slurm installed (srun on PATH)?")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
