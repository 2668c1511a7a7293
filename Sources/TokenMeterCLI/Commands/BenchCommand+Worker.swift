import ArgumentParser
import Foundation
import Synchronization
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterResults

/// One worker of a scaled-out benchmark (`bench --worker slurm`, started by `bench --slurm`): its exact share of the load,
/// the start through the engine's barrier, and its raw records with a header (worker.json) for the merge.
extension BenchCommand {
    func runWorker(_ engine: ScaleOutOptions.Engine) async throws {
        var plan = try plan()
        guard endpoint.effectiveURL != nil else {
            throw ConfigError(field: "worker", message: "a worker needs --url: every worker must load the same endpoint")
        }
        guard plan.load.search == nil else { throw ConfigError(field: "worker", message: "--find-max is not split across workers yet") }
        var totals: [Int] = []
        for mode in plan.load.modes {
            guard case let .concurrency(c) = mode else {
                throw ConfigError(field: "worker", message: "workers split closed-loop load (--concurrency) only; \(mode.label) is not split yet")
            }
            totals.append(c)
        }
        let pmi = try PMI2Client()
        let share = try WorkerShare(rank: pmi.rank, size: pmi.size, totalConcurrency: totals, totalRequests: plan.load.requests)
        plan.load.modes = share.concurrency.map { .concurrency($0) }
        plan.load.requests = share.requests
        let directory = URL(fileURLWithPath: runOptions.output.output ?? Self.defaultOutputDirectory()).appendingPathComponent("rank-\(pmi.rank)")
        var settings = self.settings
        settings["url"] = .string(plan.endpoint.address.description)
        var session = BenchSession(plan: plan, settings: settings, targetKind: "external", outputDirectory: directory)
        let start = Mutex<(at: UInt64, exit: UInt64, lag: Int64)?>(nil)
        session.beforeFirstPoint = {
            let (at, exit) = try pmi.startInstant()
            let lag = try await PMI2Client.wait(until: at)
            start.withLock { $0 = (at, exit, lag) }
        }
        let outcome = await measure(session, recorder: nil)
        pmi.leave()
        let result = try outcome.result.get()
        guard let gate = start.withLock({ $0 }) else { throw BenchError(message: "rank \(pmi.rank) never reached the start") }
        let header = WorkerHeader(share: share, host: ProcessInfo.processInfo.hostName, job: "\(engine.rawValue) \(pmi.jobID)",
                                  startAtRealtimeNanoseconds: gate.at, barrierExitRealtimeNanoseconds: gate.exit, startLagNanoseconds: gate.lag,
                                  clockRealtimeNanoseconds: PMI2Client.realtimeNanoseconds(), clockMonotonicNanoseconds: MonotonicClock.nowNanoseconds())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(header).write(to: directory.appendingPathComponent(WorkerHeader.fileName))
        if outcome.interrupted { throw ExitCode(130) }
        if result.points.isEmpty || result.partial { throw ExitCode.failure }
    }
}
