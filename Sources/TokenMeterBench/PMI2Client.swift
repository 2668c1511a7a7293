import Foundation
import TokenMeterCore
#if canImport(Glibc)
import Glibc
#endif

/// A Slurm job step's own barrier and key-value store: PMI2 (`libpmi2.so.0` from Debian's libpmi2-0), loaded at run time
/// so that the binary runs where it is absent. `init` joins the step (rank and size); `startInstant` is the start of a
/// scaled-out benchmark: every rank waits at a fence, rank 0 publishes a start instant a margin ahead on the wall clock, a
/// second fence makes it visible to all, and each rank reads it.
public final class PMI2Client: WorkerStartGate, @unchecked Sendable {
    typealias InitFn = @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>,
                                       UnsafeMutablePointer<Int32>) -> Int32
    typealias VoidFn = @convention(c) () -> Int32
    typealias PutFn = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>) -> Int32
    typealias GetFn = @convention(c) (UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>, UnsafeMutablePointer<CChar>, Int32,
                                      UnsafeMutablePointer<Int32>) -> Int32
    typealias JobIDFn = @convention(c) (UnsafeMutablePointer<CChar>, Int32) -> Int32

    /// This process's rank in the step, and the step's size.
    public let rank: Int
    public let size: Int
    /// The PMI2 job id (`<job>.<step>`).
    public let jobID: String
    public var job: String { "slurm \(jobID)" }
    let fence: VoidFn, put: PutFn, get: GetFn, finalize: VoidFn

    /// Loads the library and joins the step; an error says how to launch the workers.
    public init(library: String = "libpmi2.so.0") throws(ConfigError) {
        guard let handle = dlopen(library, RTLD_NOW) else {
            throw ConfigError(field: "worker", message: "cannot load \(library) (\(String(cString: dlerror()))): install libpmi2-0 and launch with srun --mpi=pmi2")
        }
        func symbol<T>(_ name: String, _ type: T.Type) throws(ConfigError) -> T {
            guard let p = dlsym(handle, name) else { throw ConfigError(field: "worker", message: "\(library) has no \(name)") }
            return unsafeBitCast(p, to: type)
        }
        let initialize = try symbol("PMI2_Init", InitFn.self)
        fence = try symbol("PMI2_KVS_Fence", VoidFn.self)
        put = try symbol("PMI2_KVS_Put", PutFn.self)
        get = try symbol("PMI2_KVS_Get", GetFn.self)
        finalize = try symbol("PMI2_Finalize", VoidFn.self)
        let jobIDFn = try symbol("PMI2_Job_GetId", JobIDFn.self)
        var spawned: Int32 = 0, size: Int32 = 0, rank: Int32 = 0, appnum: Int32 = 0
        guard initialize(&spawned, &size, &rank, &appnum) == 0, size >= 1 else {
            throw ConfigError(field: "worker", message: "PMI2_Init failed: launch the workers with srun --mpi=pmi2")
        }
        var job = [CChar](repeating: 0, count: 256)
        _ = jobIDFn(&job, Int32(job.count))
        self.rank = Int(rank)
        self.size = Int(size)
        jobID = String(decoding: job.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The common start instant, `margin` ahead of the moment every rank reached the barrier, and when this rank left it
    /// (both wall clock, ns since 1970). Blocks until every rank has called it.
    public func startInstant(point: Int) async throws -> (startAt: UInt64, barrierExit: UInt64) { try startInstant() }

    /// The start instant (see `startInstant(point:)`); every rank calls it in the same order.
    public func startInstant(marginNanoseconds: UInt64 = 500_000_000) throws(ConfigError) -> (startAt: UInt64, barrierExit: UInt64) {
        guard fence() == 0 else { throw ConfigError(field: "worker", message: "the first PMI2 fence failed: a worker did not start") }
        if rank == 0 {
            let t0 = String(WallClock.nowNanoseconds() + marginNanoseconds)
            guard put("tokenmeter.t0", t0) == 0 else { throw ConfigError(field: "worker", message: "PMI2_KVS_Put of the start instant failed") }
        }
        guard fence() == 0 else { throw ConfigError(field: "worker", message: "the second PMI2 fence failed: a worker did not reach it") }
        let exit = WallClock.nowNanoseconds()
        var value = [CChar](repeating: 0, count: 64)
        var length: Int32 = 0
        let status = get(nil, 0, "tokenmeter.t0", &value, Int32(value.count), &length)
        guard status == 0, let t0 = UInt64(String(decoding: value.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) else {
            throw ConfigError(field: "worker", message: "could not read the start instant from PMI2 (status \(status))")
        }
        return (t0, exit)
    }

    /// Leaves the step.
    public func leave() { _ = finalize() }
}
