/// How the workers of a scaled-out benchmark learn who they are and start each point together: through the engine that
/// launched them (Slurm's PMI2 barrier, or one Kubernetes object every pod watches), never a coordinator of tokenmeter's.
public protocol WorkerStartGate: Sendable {
    /// This worker's rank, 0 ..< size.
    var rank: Int { get }
    /// How many workers there are.
    var size: Int { get }
    /// The engine and job, for the worker's header (`slurm 12.0`, `k8s default/bench`).
    var job: String { get }
    /// Blocks until every worker has reached point `point`; returns its start instant (wall clock, ns since 1970, a margin
    /// ahead) and when this worker learned it.
    func startInstant(point: Int) async throws -> (startAt: UInt64, barrierExit: UInt64)
    /// Leaves the job (after the last point).
    func leave()
}
