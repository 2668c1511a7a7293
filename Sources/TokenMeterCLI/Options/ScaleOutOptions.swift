import ArgumentParser
import Foundation
import TokenMeterCore

/// `--slurm`: one benchmark across many client machines, as one Slurm job step, merged exactly (docs/scale-out.md).
struct ScaleOutOptions: ParsableArguments {
    /// The engines a worker can be started by.
    enum Engine: String, ExpressibleByArgument, Sendable { case slurm, k8s }

    @Flag(help: "Run the benchmark as one Slurm job step (srun), one worker per node, and merge the workers into one run; inside an allocation (salloc -N 2) it uses the allocation's nodes.")
    var slurm = false
    @Option(help: "Workers for --slurm (default: the allocation's node count, SLURM_JOB_NUM_NODES; else 2).") var workers: Int?
    @Option(help: "Run as one worker of a scaled-out benchmark started by this engine, slurm or k8s (set by --slurm and by the Job deploy k8s writes): rank and size from the engine, each point's start through it.")
    var worker: Engine?

    /// How many workers --slurm starts.
    func workerCount(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> Int {
        let n = workers ?? environment["SLURM_JOB_NUM_NODES"].flatMap(Int.init) ?? environment["SLURM_NNODES"].flatMap(Int.init) ?? 2
        guard (1...4096).contains(n) else { throw ConfigError(field: "workers", message: "must be 1 to 4096, got \(n)") }
        return n
    }
}
