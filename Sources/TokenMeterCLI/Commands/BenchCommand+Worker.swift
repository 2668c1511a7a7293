import ArgumentParser
import Foundation
import Synchronization
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterResults
import TokenMeterWorkloads

/// One worker of a scaled-out benchmark (`bench --worker slurm`, started by `bench --slurm`): its exact share of the load,
/// the start through the engine's barrier, and its raw records with a header (worker.json) for the merge.
extension BenchCommand {
    func runWorker(_ engine: ScaleOutOptions.Engine) async throws {
        var plan = try plan()
        guard endpoint.effectiveURL != nil else {
            throw ConfigError(field: "worker", message: "a worker needs --url: every worker must load the same endpoint")
        }
        let gate: any WorkerStartGate = switch engine {
        case .slurm: try PMI2Client()
        case .k8s: try KubernetesStartGate()
        }
        let share = try Self.split(&plan.load, workload: &plan.workload, rank: gate.rank, size: gate.size)
        let directory = URL(fileURLWithPath: runOptions.output.output ?? Self.defaultOutputDirectory()).appendingPathComponent("rank-\(gate.rank)")
        var settings = self.settings
        settings["url"] = .string(plan.endpoint.address.description)
        var session = BenchSession(plan: plan, settings: settings, targetKind: "external", outputDirectory: directory)
        // Every point starts at a common instant: the workers finish a point at different times.
        let start = Mutex<(at: UInt64, exit: UInt64, lag: Int64)?>(nil)
        session.beforePoint = { point in
            let (at, exit) = try await gate.startInstant(point: point)
            // The instant on this worker's monotonic clock: the point's schedule starts there, however long preparing takes.
            let real = WallClock.nowNanoseconds(), mono = MonotonicClock.nowNanoseconds()
            let origin = UInt64(max(0, Int64(bitPattern: mono) + Int64(bitPattern: at &- real)))
            // How late this worker learned it (0 when it had it before the instant, as it should).
            let lag = max(0, Int64(bitPattern: real &- at))
            start.withLock { first in first = first ?? (at, exit, lag) }
            return origin
        }
        let outcome = await measure(session, recorder: nil)
        gate.leave()
        let result = try outcome.result.get()
        guard let first = start.withLock({ $0 }) else { throw BenchError(message: "rank \(gate.rank) never reached the start") }
        let header = WorkerHeader(share: share, host: ProcessInfo.processInfo.hostName, job: gate.job,
                                  startAtRealtimeNanoseconds: first.at, barrierExitRealtimeNanoseconds: first.exit, startLagNanoseconds: first.lag,
                                  clockRealtimeNanoseconds: WallClock.nowNanoseconds(), clockMonotonicNanoseconds: MonotonicClock.nowNanoseconds())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(header).write(to: directory.appendingPathComponent(WorkerHeader.fileName))
        if outcome.interrupted { throw ExitCode(130) }
        if result.points.isEmpty || result.partial { throw ExitCode.failure }
    }

    /// Plans the benchmark and tries its split over `size` workers, so that a launcher finds a mistake before any worker does.
    func checkSplit(over size: Int) throws {
        var trial = try plan()
        _ = try Self.split(&trial.load, workload: &trial.workload, rank: 0, size: size)
    }

    /// This worker's share of the load: a closed loop's connections and requests, an open loop's thinned arrivals, every
    /// W-th request of a trace (at its recorded time, so the union is the trace), or users and conversations of sessions.
    static func split(_ load: inout LoadPlan, workload: inout WorkloadPlan, rank: Int, size: Int) throws(ConfigError) -> WorkerShare {
        guard load.search == nil else { throw ConfigError(field: "worker", message: "--find-max is not split across workers yet") }
        // Prompts of its own (a single machine sends no prompt twice); the arrival schedule stays the one all draw from.
        load.promptSalt = UInt64(rank) &* 0x9E37_79B9_7F4A_7C15
        switch workload.shape {
        case var .trace(trace) where trace.hasSessions:
            let share = try splitTraceSessions(&trace, &load, rank: rank, size: size)
            workload.shape = .trace(trace)
            return share
        case .conversations: return try splitConversations(&load, rank: rank, size: size)
        case var .trace(trace):
            let share = try splitTrace(&trace, &load, rank: rank, size: size)
            workload.shape = .trace(trace)
            return share
        case .requests: return try splitRequests(&load, rank: rank, size: size)
        }
    }

    /// Sessions or tasks: users and conversations split like connections and requests; conversation k of rank r is global
    /// conversation r + k·W, and its requests are interleaved the same way.
    static func splitConversations(_ load: inout LoadPlan, rank: Int, size: Int) throws(ConfigError) -> WorkerShare {
        var totals: [Int] = []
        for mode in load.modes {
            guard case let .concurrency(c) = mode else {
                throw ConfigError(field: "worker", message: "sessions are split across workers as users (--sessions); \(mode.label) is not split yet")
            }
            totals.append(c)
        }
        guard load.conversations != nil || load.durationSeconds != nil || Set(totals).count == 1 else {
            throw ConfigError(field: "worker", message: "give --session-count: a sweep of several user counts needs the count to split")
        }
        let total = load.conversations ?? (load.durationSeconds == nil ? totals.map { max(4, 2 * $0) }.max() : nil)
        let share = try WorkerShare(rank: rank, size: size, totalConcurrency: totals, totalRequests: nil, interleaved: true, totalConversations: total)
        load.modes = share.concurrency.map { .concurrency($0) }
        load.conversations = share.conversations
        return share
    }

    /// A trace's requests: every W-th from rank r, at their recorded times.
    static func splitTrace(_ trace: inout Trace, _ load: inout LoadPlan, rank: Int, size: Int) throws(ConfigError) -> WorkerShare {
        let total = trace.requests.count
        guard total >= size else { throw ConfigError(field: "worker", message: "a trace of \(total) requests cannot be split over \(size) workers") }
        trace.requests = trace.requests.enumerated().filter { $0.offset % size == rank }.map(\.element)
        let caps = load.modes.map { mode -> Int in if case let .replay(_, cap) = mode { cap ?? 0 } else { 0 } }
        let share = try WorkerShare(rank: rank, size: size, totalConcurrency: caps, totalRequests: total, interleaved: true)
        load.modes = zip(load.modes, share.concurrency).map { mode, part in
            if case let .replay(speedup, cap) = mode { return .replay(speedup: speedup, maxConcurrency: cap.map { _ in part }) }
            return mode
        }
        return share
    }

    /// A trace's conversations: every W-th from rank r (conversation k of rank r is global conversation r + k·W, at its
    /// recorded start when the trace has one), with its users, or its replay's cap, split like connections.
    static func splitTraceSessions(_ trace: inout Trace, _ load: inout LoadPlan, rank: Int, size: Int) throws(ConfigError) -> WorkerShare {
        let total = min(trace.conversations.count, load.conversations ?? .max)
        trace.conversations = trace.conversations.prefix(total).enumerated().filter { $0.offset % size == rank }.map(\.element)
        var totals: [Int] = []
        for mode in load.modes {
            switch mode {
            case let .concurrency(c): totals.append(c)
            case let .replay(_, cap): totals.append(cap ?? 0)
            case .rate: throw ConfigError(field: "worker", message: "a trace's conversations start at their recorded times or as users; a rate is not split")
            }
        }
        let share = try WorkerShare(rank: rank, size: size, totalConcurrency: totals, totalRequests: nil, interleaved: true, totalConversations: total)
        load.modes = zip(load.modes, share.concurrency).map { mode, part in
            if case let .replay(speedup, cap) = mode { return .replay(speedup: speedup, maxConcurrency: cap.map { _ in part }) }
            return .concurrency(part)
        }
        if load.conversations != nil { load.conversations = share.conversations }
        return share
    }

    /// Single requests: a closed loop's connections and requests, or an open loop's thinned arrivals (with its cap split).
    static func splitRequests(_ load: inout LoadPlan, rank: Int, size: Int) throws(ConfigError) -> WorkerShare {
        var totals: [Int] = [], rates: [Double] = []
        for mode in load.modes {
            switch mode {
            case let .concurrency(c): totals.append(c)
            case let .rate(r, _, _, cap):
                totals.append(cap ?? 0)
                rates.append(r)
            case .replay: throw ConfigError(field: "worker", message: "a replay needs a trace (--trace)")
            }
        }
        guard rates.isEmpty || rates.count == totals.count else {
            throw ConfigError(field: "worker", message: "a sweep that mixes concurrency and rate points is not split across workers")
        }
        let share = try WorkerShare(rank: rank, size: size, totalConcurrency: totals, totalRequests: load.requests, rates: rates.isEmpty ? nil : rates)
        load.modes = zip(load.modes, share.concurrency).map { mode, part in
            if case let .rate(r, process, burstiness, cap) = mode { return .rate(r, process, burstiness: burstiness, maxConcurrency: cap.map { _ in part }) }
            return .concurrency(part)
        }
        load.requests = share.requests
        if share.rates != nil { load.arrivalShare = ArrivalShare(offset: rank, stride: size) }
        return share
    }
}
