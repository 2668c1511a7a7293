import Foundation
import TokenMeterCore

/// What a worker of a scaled-out benchmark writes beside its result and timeline (`worker.json`): who it was, its share,
/// the common start instant, and the mapping of its monotonic clock onto wall time, so that the merge puts every worker's
/// timestamps on one clock. Durations (TTFT, TPOT, E2E) are measured on each worker's monotonic clock and need no mapping.
public struct WorkerHeader: Codable, Sendable, Equatable {
    /// `tokenmeter.worker/v1`.
    public var schema = WorkerHeader.currentSchema
    /// This worker's share.
    public var share: WorkerShare
    /// The host it ran on.
    public var host: String
    /// The engine and job (`slurm job 12 step 0`), when one launched it.
    public var job: String?
    /// The start instant every worker waited for (wall clock, ns since 1970).
    public var startAtRealtimeNanoseconds: UInt64
    /// When this worker left the engine's barrier (wall clock): a common event that bounds the offset between clocks.
    public var barrierExitRealtimeNanoseconds: UInt64?
    /// How late this worker began after the start instant (its own wall clock), ns.
    public var startLagNanoseconds: Int64
    /// The same instant on both clocks: wall ns since 1970 and this process's monotonic ns.
    public var clockRealtimeNanoseconds: UInt64
    public var clockMonotonicNanoseconds: UInt64

    /// The current schema.
    public static let currentSchema = "tokenmeter.worker/v1"
    /// Its file name in a worker's output folder.
    public static let fileName = "worker.json"

    /// Creates a header.
    public init(share: WorkerShare, host: String, job: String?, startAtRealtimeNanoseconds: UInt64, barrierExitRealtimeNanoseconds: UInt64?,
                startLagNanoseconds: Int64, clockRealtimeNanoseconds: UInt64, clockMonotonicNanoseconds: UInt64) {
        self.share = share
        self.host = host
        self.job = job
        self.startAtRealtimeNanoseconds = startAtRealtimeNanoseconds
        self.barrierExitRealtimeNanoseconds = barrierExitRealtimeNanoseconds
        self.startLagNanoseconds = startLagNanoseconds
        self.clockRealtimeNanoseconds = clockRealtimeNanoseconds
        self.clockMonotonicNanoseconds = clockMonotonicNanoseconds
    }

    /// Wall time minus monotonic time on this worker: add it to a monotonic timestamp to get wall time.
    public var monotonicToRealtime: Int64 { Int64(bitPattern: clockRealtimeNanoseconds &- clockMonotonicNanoseconds) }

    enum CodingKeys: String, CodingKey {
        case schema, share, host, job, startAtRealtimeNanoseconds = "start_at_realtime_ns"
        case barrierExitRealtimeNanoseconds = "barrier_exit_realtime_ns", startLagNanoseconds = "start_lag_ns"
        case clockRealtimeNanoseconds = "clock_realtime_ns", clockMonotonicNanoseconds = "clock_monotonic_ns"
    }
}
