import Synchronization
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects
import TokenMeterResults
import TokenMeterWorkloads

/// Drives one sweep point against an endpoint and collects the request timelines.
public struct LoadRunner: Sendable {
    /// The client to send with.
    public var client: StreamingHTTPClient
    /// Whether responses are streamed.
    public var streamed: Bool
    /// The dialect the responses are in.
    public var api: APIKind
    /// Which arrivals of an open loop's schedule this runner sends (a scaled-out worker's share).
    public var arrivalShare: ArrivalShare
    /// When the point's schedule starts (monotonic ns), if given: a scaled-out worker's common start instant, so that every
    /// worker's schedule has one origin however long it took to prepare. Used when it leaves the runner time to get ready.
    public var origin: UInt64?

    /// Creates a runner.
    public init(client: StreamingHTTPClient, streamed: Bool, api: APIKind = .completions, arrivalShare: ArrivalShare = .all, origin: UInt64? = nil) {
        self.client = client
        self.streamed = streamed
        self.api = api
        self.arrivalShare = arrivalShare
        self.origin = origin
    }

    /// Runs one point; `plan` and `prepared` are cycled when the point needs more requests than they hold.
    ///
    /// Each request goes out with `X-Request-Id: <requestIDPrefix><record id>`. A closed loop runs one chain per slot
    /// (`StreamingHTTPClient.runChain`) over connections opened before the point starts; an open loop sends each arrival
    /// at its scheduled time. Responses are decoded here, off the event loops.
    public func run(mode: LoadMode, plan: [PlannedRequest], prepared: [PreparedRequest], bounds: PointBounds, seed: UInt64,
                    requestIDPrefix: String = "", progress: ProgressCounters? = nil) async -> PointRun {
        precondition(!plan.isEmpty && plan.count == prepared.count, "a point needs a non-empty plan")
        return await run(mode: mode, source: .cycled(plan: plan, prepared: prepared), bounds: bounds, seed: seed,
                         requestIDPrefix: requestIDPrefix, progress: progress)
    }

    /// Runs one point of requests from `source` (see the other `run`); a `.traced` source goes with a `.replay` mode.
    public func run(mode: LoadMode, source: RequestSource, bounds: PointBounds, seed: UInt64, requestIDPrefix: String = "",
                    progress: ProgressCounters? = nil) async -> PointRun {
        let planned = bounds.measuredRequests.map { $0 + bounds.warmupRequests }
        if case let .concurrency(c) = mode { await client.preconnect(min(c, planned ?? c)) }
        progress?.reset(planned: planned ?? 0)
        let point = PointExecution(runner: self, mode: mode, source: source, bounds: bounds, seed: seed,
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
    let api: APIKind
    let arrivalShare: ArrivalShare
    let mode: LoadMode
    let source: RequestSource
    let bounds: PointBounds
    let seed: UInt64
    let requestIDPrefix: String
    let progress: ProgressCounters?
    /// When the first request is due (monotonic ns): room before it for spawning the chains or readying connections.
    let origin: UInt64
    let schedule: PointSchedule
    let inbox = PointInbox()
    /// What each request of a traced source asked for, filled in as they are built.
    let built = BuiltShapes()

    init(runner: LoadRunner, mode: LoadMode, source: RequestSource, bounds: PointBounds, seed: UInt64,
         requestIDPrefix: String, progress: ProgressCounters?) {
        client = runner.client
        streamed = runner.streamed
        api = runner.api
        arrivalShare = runner.arrivalShare
        self.mode = mode
        self.source = source
        self.bounds = bounds
        self.seed = seed
        self.requestIDPrefix = requestIDPrefix
        self.progress = progress
        let ready = switch mode {
        case let .concurrency(c): MonotonicClock.nowNanoseconds() + 20_000_000 + UInt64(c) * 20_000
        case .rate, .replay: MonotonicClock.nowNanoseconds() + Self.lead + 5_000_000
        }
        origin = max(ready, runner.origin ?? 0)
        schedule = PointSchedule(bounds: bounds, origin: origin)
    }

    /// The request to send for a claim: the plan's (cycled), or a trace's built now.
    func chained(_ claim: PointSchedule.Claim) -> ChainedRequest {
        switch source {
        case let .cycled(_, prepared):
            return PointSchedule.request(claim, prepared, requestIDPrefix)
        case let .traced(trace):
            let (shape, request) = trace.build(claim.id)
            built.shapes.withLock { $0[claim.id] = shape }
            return ChainedRequest(request: request, requestID: requestIDPrefix + String(claim.id), tag: claim.id)
        }
    }

    /// What request `id` asked for.
    func shape(_ id: Int) -> RequestShape {
        switch source {
        case let .cycled(plan, _):
            let p = plan[id % plan.count]
            return RequestShape(promptTokens: p.promptTokens, exact: p.exact, maxTokens: p.maxTokens)
        case .traced:
            return built.shapes.withLock { $0[id] } ?? RequestShape(promptTokens: 0, exact: false, maxTokens: 0)
        }
    }

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
                var arrivals = ArrivalClock(origin: origin, rate: rate, process: process, burstiness: burstiness, seed: seed,
                                           share: arrivalShare)
                let single = ChainHooks(next: { nil }, completed: hooks.completed)
                await arrive({ arrivals.next() }, cap: cap) { claim in
                    await client.runChain(first: chained(claim), hooks: single, sendAt: claim.scheduled)
                }
                inbox.push(.producerEnded)
            }
            return 1
        case let .replay(speedup, cap):
            guard case let .traced(trace) = source else { preconditionFailure("a replay point replays a trace") }
            group.addTask {
                var times = trace.times.makeIterator()
                let single = ChainHooks(next: { nil }, completed: hooks.completed)
                let origin = self.origin
                await arrive({ times.next().map { t in origin + UInt64((speedup.map { t / $0 } ?? 0) * 1e9) } }, cap: cap) { claim in
                    await client.runChain(first: chained(claim), hooks: single, sendAt: claim.scheduled)
                }
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
        let planned = shape(id)
        var record = RequestRecord(id: id, phase: claim.isWarmup ? .warmup : .measured, scheduledNanoseconds: claim.scheduled,
                                   promptTokensPlanned: planned.promptTokens, promptTokensExact: planned.exact, maxTokens: planned.maxTokens)
        if !api.generates { record.maxTokens = 0 }
        ResponseInterpreter.apply(raw, streamed: streamed, api: api, to: &record)
        progress?.record(record)
        return record
    }

    /// The point's outcome: its records, the measurement window (first measured send to last measured end, cut at a
    /// duration bound) and why it stopped.
    func result(_ records: [RequestRecord]) -> PointRun {
        let outcome = schedule.stopped ?? (reason: "request count reached", partial: false)
        var offered: Double?
        if case let .rate(rate, _, _, _) = mode { offered = rate }
        return PointRun(records: records, window: schedule.window(of: records, origin: origin), offeredRequestsPerSecond: offered,
                        partial: outcome.partial, stoppedBy: outcome.reason)
    }

    /// The open loop: `lead` before each arrival, waits for a free slot under `cap` and hands the request to `send`, which
    /// readies a connection and writes it at its time; then lets the last ones finish.
    func arrive(_ next: () -> UInt64?, cap: Int?, send: @escaping @Sendable (PointSchedule.Claim) async -> Void) async {
        await withTaskGroup(of: Void.self) { requests in
            var inFlight = 0
            while true {
                guard let scheduled = next(), schedule.admits(scheduled) else { break }
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

/// Where a point's requests come from.
public enum RequestSource: Sendable {
    /// A plan built before the point and its prepared requests, cycled when the point needs more.
    case cycled(plan: [PlannedRequest], prepared: [PreparedRequest])
    /// A trace's requests, each built shortly before its time (so memory holds what is in flight, not the whole trace).
    case traced(TracedRequests)
}

/// A trace's requests for a replay point: when each is due, and how to build it.
public struct TracedRequests: Sendable {
    /// Seconds from the start of the replay of each request, in order.
    public var times: [Double]
    /// Builds request `i`: what it asks for and the request itself.
    public var build: @Sendable (Int) -> (RequestShape, PreparedRequest)

    /// Creates a traced source.
    public init(times: [Double], build: @escaping @Sendable (Int) -> (RequestShape, PreparedRequest)) {
        self.times = times
        self.build = build
    }
}

/// What a request asked for: its prompt's tokens (exact or estimated) and `max_tokens`.
public struct RequestShape: Sendable, Equatable {
    /// Prompt tokens.
    public var promptTokens: Int
    /// True when a tokenizer (or the construction of the prompt) makes `promptTokens` exact.
    public var exact: Bool
    /// `max_tokens`.
    public var maxTokens: Int

    /// Creates a shape.
    public init(promptTokens: Int, exact: Bool, maxTokens: Int) {
        self.promptTokens = promptTokens
        self.exact = exact
        self.maxTokens = maxTokens
    }
}

/// The shapes of a traced point's requests as they are built (the dispatcher reads them when their responses arrive).
final class BuiltShapes: Sendable {
    let shapes = Mutex<[Int: RequestShape]>([:])
}
