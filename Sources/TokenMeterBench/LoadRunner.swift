import TokenMeterCore
import TokenMeterHTTP
import TokenMeterOpenAI
import TokenMeterResults
import TokenMeterWorkloads

/// Drives one sweep point against an endpoint and collects the request timelines.
public struct LoadRunner: Sendable {
    /// The client to send with.
    public var client: StreamingHTTPClient
    /// Whether responses are streamed.
    public var streamed: Bool

    /// Creates a runner.
    public init(client: StreamingHTTPClient, streamed: Bool) {
        self.client = client
        self.streamed = streamed
    }

    /// Runs one point; `plan` and `prepared` are cycled when the point needs more requests than they hold.
    ///
    /// Each request goes out with `X-Request-Id: <requestIDPrefix><record id>`. A closed loop runs one chain per slot
    /// (`StreamingHTTPClient.runChain`) over connections opened before the point starts; an open loop sends each arrival
    /// at its scheduled time. Responses are decoded here, off the event loops.
    public func run(mode: LoadMode, plan: [PlannedRequest], prepared: [PreparedRequest], bounds: PointBounds, seed: UInt64,
                    requestIDPrefix: String = "", progress: ProgressCounters? = nil) async -> PointRun {
        precondition(!plan.isEmpty && plan.count == prepared.count, "a point needs a non-empty plan")
        let planned = bounds.measuredRequests.map { $0 + bounds.warmupRequests }
        if case let .concurrency(c) = mode { await client.preconnect(min(c, planned ?? c)) }
        progress?.reset(planned: planned ?? 0)
        let point = PointExecution(runner: self, mode: mode, plan: plan, prepared: prepared, bounds: bounds, seed: seed,
                                   requestIDPrefix: requestIDPrefix, progress: progress)
        let records = await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self, returning: [RequestRecord].self) { group in
                let producers = point.startProducers(in: &group)
                group.addTask {
                    // Wakes the dispatcher to check the deadlines while every request is busy.
                    while !Task.isCancelled {
                        try? await Task.sleep(nanoseconds: 50_000_000)
                        point.inbox.push(.tick)
                    }
                }
                let records = await point.dispatch(producers: producers) { group.cancelAll() }
                group.cancelAll()
                return records
            }
        } onCancel: {
            point.schedule.stop("interrupted", partial: true)
            point.inbox.push(.tick)
        }
        return point.result(records)
    }
}

/// One point while it runs: its schedule, the inbox its responses arrive in, and the hooks its chains call.
struct PointExecution: Sendable {
    /// Room an open loop leaves before each arrival to ready its connection.
    static let lead: UInt64 = 200_000_000

    let client: StreamingHTTPClient
    let streamed: Bool
    let mode: LoadMode
    let plan: [PlannedRequest]
    let prepared: [PreparedRequest]
    let bounds: PointBounds
    let seed: UInt64
    let requestIDPrefix: String
    let progress: ProgressCounters?
    /// When the first request is due (monotonic ns): room before it for spawning the chains or readying connections.
    let origin: UInt64
    let schedule: PointSchedule
    let inbox = PointInbox()

    init(runner: LoadRunner, mode: LoadMode, plan: [PlannedRequest], prepared: [PreparedRequest], bounds: PointBounds, seed: UInt64,
         requestIDPrefix: String, progress: ProgressCounters?) {
        client = runner.client
        streamed = runner.streamed
        self.mode = mode
        self.plan = plan
        self.prepared = prepared
        self.bounds = bounds
        self.seed = seed
        self.requestIDPrefix = requestIDPrefix
        self.progress = progress
        origin = switch mode {
        case let .concurrency(c): MonotonicClock.nowNanoseconds() + 20_000_000 + UInt64(c) * 20_000
        case .rate: MonotonicClock.nowNanoseconds() + Self.lead + 5_000_000
        }
        schedule = PointSchedule(bounds: bounds, origin: origin)
    }

    /// The request to send for a claim.
    func chained(_ claim: PointSchedule.Claim) -> ChainedRequest { PointSchedule.request(claim, prepared, requestIDPrefix) }

    /// What every chain calls: claim the next request now, and leave each response in the inbox.
    var hooks: ChainHooks {
        let point = self
        return ChainHooks(next: { point.schedule.claim(at: MonotonicClock.nowNanoseconds()).map(point.chained) },
                          completed: { request, response in point.inbox.push(.response(request.tag, response)) })
    }

    /// Starts the chains of a closed loop, or the arrival task of an open one; returns how many producers it started.
    func startProducers(in group: inout TaskGroup<Void>) -> Int {
        switch mode {
        case let .concurrency(c):
            // The first round is claimed here, in slot order, and each chain's first request is written at its time by its
            // event loop.
            let hooks = self.hooks
            var producers = 0
            for k in 0..<c {
                let offset = UInt64(bounds.rampUpSeconds * 1e9 * Double(k) / Double(c))
                guard let first = schedule.claim(at: origin + offset) else { break }
                producers += 1
                group.addTask {
                    await client.runChain(first: chained(first), hooks: hooks, sendAt: first.scheduled)
                    inbox.push(.producerEnded)
                }
            }
            return producers
        case let .rate(rate, process, burstiness, cap):
            group.addTask {
                var arrivals = ArrivalClock(origin: origin, rate: rate, process: process, burstiness: burstiness, seed: seed)
                let single = ChainHooks(next: { nil }, completed: hooks.completed)
                await arrive(&arrivals, cap: cap) { claim in await client.runChain(first: chained(claim), hooks: single, sendAt: claim.scheduled) }
                inbox.push(.producerEnded)
            }
            return 1
        }
    }

    /// Decodes every response as it arrives, until every producer ended; once the point stops sending, the drain rule
    /// decides when `cancelInFlight` is called.
    func dispatch(producers: Int, cancelInFlight: () -> Void) async -> [RequestRecord] {
        var producers = producers
        var drain = DrainStateMachine(rule: bounds.drain, timeoutSeconds: bounds.drainTimeoutSeconds, hardDeadline: schedule.hardDeadline)
        var out: [RequestRecord] = []
        while producers > 0 {
            for event in await inbox.next() {
                switch event {
                case let .response(id, raw): out.append(record(id, raw))
                case .producerEnded: producers -= 1
                case .tick: break
                }
            }
            let now = MonotonicClock.nowNanoseconds()
            schedule.stop(ifPast: now)
            if case let .cancelInFlight(timedOut) = drain.tick(now: now, cutShort: schedule.stopped?.partial) {
                if timedOut { schedule.noteDrainTimedOut() }
                cancelInFlight()
            }
        }
        return out.sorted { $0.id < $1.id }
    }

    /// The record of request `id`, decoded from its raw response.
    func record(_ id: Int, _ raw: RawResponse) -> RequestRecord {
        let claim = schedule.claim(id)
        let planned = plan[id % plan.count]
        var record = RequestRecord(id: id, phase: claim.isWarmup ? .warmup : .measured, scheduledNanoseconds: claim.scheduled,
                                   promptTokensPlanned: planned.promptTokens, promptTokensExact: planned.exact, maxTokens: planned.maxTokens)
        ResponseInterpreter.apply(raw, streamed: streamed, to: &record)
        progress?.record(record)
        return record
    }

    /// The point's outcome: its records, the measurement window (first measured send to last measured end, cut at a
    /// duration bound) and why it stopped.
    func result(_ records: [RequestRecord]) -> PointRun {
        let outcome = schedule.stopped ?? (reason: "request count reached", partial: false)
        let measured = records.filter { $0.phase == .measured }
        let (measureStart, measureDeadline) = schedule.measurement
        let start = measured.compactMap(\.sentNanoseconds).min() ?? measureStart ?? origin
        var end = measured.compactMap(\.completedNanoseconds).max() ?? start
        if let measureDeadline { end = min(end, measureDeadline) }
        var offered: Double?
        if case let .rate(rate, _, _, _) = mode { offered = rate }
        return PointRun(records: records, window: MeasurementWindow(startNanoseconds: start, endNanoseconds: end),
                        offeredRequestsPerSecond: offered, partial: outcome.partial, stoppedBy: outcome.reason)
    }

    /// The open loop: `lead` before each arrival, waits for a free slot under `cap` and hands the request to `send`, which
    /// readies a connection and writes it at its time; then lets the last ones finish.
    func arrive(_ arrivals: inout ArrivalClock, cap: Int?, send: @escaping @Sendable (PointSchedule.Claim) async -> Void) async {
        await withTaskGroup(of: Void.self) { requests in
            var inFlight = 0
            while true {
                let scheduled = arrivals.next()
                guard schedule.admits(scheduled) else { break }
                let now = MonotonicClock.nowNanoseconds()
                if scheduled - Self.lead > now { try? await Task.sleep(nanoseconds: scheduled - Self.lead - now) }
                if let cap {
                    while inFlight >= cap, !Task.isCancelled, await requests.next() != nil { inFlight -= 1 }
                }
                if Task.isCancelled { break }
                guard let claim = schedule.claim(at: scheduled) else { break }
                requests.addTask { await send(claim) }
                inFlight += 1
            }
        }
    }
}
