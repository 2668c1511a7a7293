import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterReport
import TokenMeterResults
import TokenMeterStore

/// `tokenmeter merge`: the workers of a scaled-out benchmark as one run, every metric over the union of their records.
struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the workers of a scaled-out benchmark (bench --slurm writes them) into one run, exactly.",
        discussion: """
            Checks completeness first (every rank once, shares adding up to the whole, one start instant, unique request ids); \
            a merge that fails a check is kept, marked partial, and the command exits 1 naming every problem.
            """)

    @Argument(help: "The workers' folders (rank-0, rank-1, ...), or the one folder holding them.") var folders: [String]
    @OptionGroup var run: RunOptions
    @Flag(help: "Do not keep the merged run in the run store.") var noStore = false
    @OptionGroup var json: OutputOptions

    func run() async throws {
        var dirs = folders
        if dirs.count == 1, !FileManager.default.fileExists(atPath: dirs[0] + "/" + WorkerHeader.fileName) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: dirs[0])) ?? []
            dirs = entries.filter { $0.hasPrefix("rank-") }.sorted { (Int($0.dropFirst(5)) ?? 0) < (Int($1.dropFirst(5)) ?? 0) }.map { dirs[0] + "/" + $0 }
        }
        guard !dirs.isEmpty else { throw ConfigError(field: "merge", message: "no worker folders in \(folders.joined(separator: ", "))") }
        // The merged files go to --output, else beside the workers' folders.
        let into = URL(fileURLWithPath: run.output.output ?? URL(fileURLWithPath: dirs[0]).deletingLastPathComponent().path)
        try await Self.mergeAndKeep(folders: dirs, into: into, metadata: run.metadata, store: !noStore, json: json.json, jobStepSeconds: nil)
    }

    /// Merges, writes result.json and timeline.jsonl into `into`, keeps the run in the store, prints it; exits 1 when the
    /// merge is not whole.
    /// With `jobStepSeconds` (bench --slurm), the launch overhead: the job step less the measuring from the common start
    /// instant to the last worker's end (srun's launch, each worker's setup, the barrier with its margin, and the exit).
    static func mergeAndKeep(folders: [String], into: URL, metadata: RunMetadata, store keep: Bool, json: Bool, jobStepSeconds: Double?) async throws {
        let files = try ResultFiles(directory: into)
        let merged = try WorkerMerge.merge(try WorkerMerge.load(directories: folders), into: files)
        var result = merged.result
        if let step = jobStepSeconds {
            result.warnings.append("job step \(String(format: "%.2f", step)) s, of which \(String(format: "%.2f", merged.measuringSeconds)) s "
                                   + "measuring from the common start: launch overhead \(String(format: "%.2f", step - merged.measuringSeconds)) s")
        }
        var kept: (String, String)?
        if keep {
            let store = try await StoreLocation.open()
            result.provenance.runID = metadata.id
            // The store keeps every record: read back from the merged timeline one point at a time (the merge itself holds no
            // records; keeping the run holds one point's).
            let timeline = try TimelinePointSource.index(path: files.timelineURL.path)
            try await store.keep(result, as: metadata) { point in
                var records: [RequestRecord] = []
                try timeline.first { $0.header.point == point.index }?.forEachRecord { records.append($0) }
                return records.sorted { $0.id < $1.id }
            }
            kept = (metadata.id, store.location)
            await store.close()
        }
        try files.writeResult(result)
        if json {
            print(try Exporter.export(result, format: .json, facts: DeploymentFacts()), terminator: "")
        } else {
            print(BenchText.render(result))
        }
        for warning in result.warnings { Terminal.error("warning: \(warning)") }
        Terminal.error("saved \(into.appendingPathComponent("result.json").path) and timeline.jsonl (merged from \(folders.count) workers)")
        if let kept { Terminal.error("kept as run \(kept.0) in \(kept.1) (tokenmeter runs show \(kept.0))") }
        if !merged.problems.isEmpty {
            throw BenchError(message: "the merge is not whole: \(merged.problems.joined(separator: "; ")); the merged run is marked partial")
        }
    }
}
