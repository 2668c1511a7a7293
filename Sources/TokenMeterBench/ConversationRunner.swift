import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects
import TokenMeterResults
import TokenMeterWorkloads

/// Where a point's conversations come from.
public enum ConversationSource: Sendable {
    /// Sessions or tasks that follow a program, each with its own draws.
    case program(ConversationProgram)
    /// A trace's conversations, in order.
    case trace([TraceConversation])
}

/// What a point of conversations measured: its requests and its conversations.
public struct ConversationPointRun: Sendable {
    /// The requests, window and stop reason, as for any point.
    public var run: PointRun
    /// The conversations, in start order.
    public var conversations: [ConversationRecord]
}

/// Runs one point of conversations. A closed loop keeps `c` users busy, each starting a new conversation when the last one
/// ended; an open loop starts conversations at a rate; a replay starts a trace's conversations at their recorded times.
/// A count-bound point waits for every conversation it started (up to the point's hard limit); a duration-bound one
/// follows the drain rule.
public struct ConversationRunner: Sendable {
    let client: StreamingHTTPClient
    let options: RequestOptions
    let address: EndpointAddress
    let text: SyntheticText
    let speedup: Double?
    let exactPrompts: Bool

    /// Creates a runner.
    public init(client: StreamingHTTPClient, options: RequestOptions, address: EndpointAddress, text: SyntheticText, speedup: Double?,
                exactPrompts: Bool) {
        self.client = client
        self.options = options
        self.address = address
        self.text = text
        self.speedup = speedup
        self.exactPrompts = exactPrompts
    }

    /// Mixed into every conversation's word stream: a scaled-out worker's conversations have text of their own.
    public var salt: UInt64 = 0

    /// Runs the point; conversation `k` of a program is `(pointIndex << 32) | k` in its word streams (with `salt`), so no
    /// two conversations of a run share their own text.
    public func run(_ source: ConversationSource, mode: LoadMode, bounds: PointBounds, pointIndex: Int, seed: UInt64,
                    progress: ProgressCounters? = nil) async -> ConversationPointRun {
        progress?.reset(planned: 0)
        let lead: UInt64 = 200_000_000
        let origin = MonotonicClock.nowNanoseconds() + lead
        let schedule = PointSchedule(bounds: bounds, origin: origin)
        let driver = ConversationDriver(client: client, streamed: options.stream, api: options.api, exactPrompts: exactPrompts, speedup: speedup,
                                        requestIDPrefix: "p\(pointIndex)-", requestIDs: ConversationDriver.Counter(), progress: progress)
        let live = ConversationDriver.Counter()
        let outcomes = await withTaskCancellationHandler {
            await withTaskGroup(of: [Played].self, returning: [Played].self) { group in
                for producer in producers(source, mode: mode, bounds: bounds, origin: origin, seed: seed) {
                    live.add(1)
                    group.addTask {
                        defer { live.add(-1) }
                        return await producer(schedule) { claim in
                            await conversation(claim, source: source, pointIndex: pointIndex, driver: driver)
                        }
                    }
                }
                await watch(schedule, bounds: bounds, live: live) { group.cancelAll() }
                var all: [Played] = []
                for await some in group { all += some }
                return all
            }
        } onCancel: {
            schedule.stop("interrupted", partial: true)
        }
        return result(outcomes.sorted { $0.record.id < $1.record.id }, schedule: schedule, origin: origin)
    }

    /// One conversation played: its record and its requests.
    struct Played: Sendable {
        var record: ConversationRecord
        var requests: [RequestRecord]
    }

    /// Something that claims conversations from the schedule and plays them, returning what it played.
    typealias Producer = @Sendable (PointSchedule, @escaping @Sendable (PointSchedule.Claim) async -> Played) async -> [Played]

    /// The producers of a mode: one lane per user, or one arrival loop.
    func producers(_ source: ConversationSource, mode: LoadMode, bounds: PointBounds, origin: UInt64, seed: UInt64) -> [Producer] {
        switch mode {
        case let .concurrency(users):
            return (0..<users).map { lane in
                let first = origin + UInt64(bounds.rampUpSeconds * 1e9 * Double(lane) / Double(users))
                return { schedule, play in
                    var played: [Played] = []
                    var at = first
                    while !Task.isCancelled, let claim = schedule.claim(at: max(at, MonotonicClock.nowNanoseconds())) {
                        let one = await play(claim)
                        at = one.record.endNanoseconds ?? MonotonicClock.nowNanoseconds()
                        played.append(one)
                    }
                    return played
                }
            }
        case let .rate(rate, process, burstiness, cap):
            return [{ schedule, play in
                var arrivals = ArrivalClock(origin: origin, rate: rate, process: process, burstiness: burstiness, seed: seed)
                return await Self.arrive(schedule, cap: cap, next: { arrivals.next() }, play: play)
            }]
        case let .replay(speedup, cap):
            let starts: [Double] = if case let .trace(conversations) = source { conversations.map { $0.start ?? 0 } } else { [] }
            return [{ schedule, play in
                var times = starts.makeIterator()
                return await Self.arrive(schedule, cap: cap, next: {
                    times.next().map { t in origin + UInt64((speedup.map { max(0, t) / $0 } ?? 0) * 1e9) }
                }, play: play)
            }]
        }
    }

    /// Starts a conversation at each time `next` gives (sleeping until shortly before it), at most `cap` at once.
    static func arrive(_ schedule: PointSchedule, cap: Int?, next: () -> UInt64?,
                       play: @escaping @Sendable (PointSchedule.Claim) async -> Played) async -> [Played] {
        await withTaskGroup(of: Played.self, returning: [Played].self) { group in
            var inFlight = 0
            var played: [Played] = []
            while !Task.isCancelled, let at = next(), schedule.admits(at) {
                let now = MonotonicClock.nowNanoseconds()
                if at > now + 200_000_000 { try? await Task.sleep(nanoseconds: at - 200_000_000 - now) }
                if let cap {
                    while inFlight >= cap, !Task.isCancelled, let one = await group.next() {
                        played.append(one)
                        inFlight -= 1
                    }
                }
                guard !Task.isCancelled, let claim = schedule.claim(at: at) else { break }
                group.addTask { await play(claim) }
                inFlight += 1
            }
            for await one in group { played.append(one) }
            return played
        }
    }

    /// Watches the point until its producers are done: stops it at its duration or hard limit, and cancels what is in flight
    /// when the drain rule (duration-bound points) or the hard limit says so.
    func watch(_ schedule: PointSchedule, bounds: PointBounds, live: ConversationDriver.Counter, cancel: () -> Void) async {
        var drain = DrainStateMachine(rule: bounds.drain, timeoutSeconds: bounds.durationSeconds == nil ? 1e9 : bounds.drainTimeoutSeconds,
                                      hardDeadline: schedule.hardDeadline)
        while live.value > 0 {
            if Task.isCancelled {
                cancel()
                return
            }
            try? await Task.sleep(nanoseconds: 50_000_000)
            let now = MonotonicClock.nowNanoseconds()
            schedule.stop(ifPast: now)
            let cutShort = schedule.stopped.map { $0.partial || now >= schedule.hardDeadline }
            if case let .cancelInFlight(timedOut) = drain.tick(now: now, cutShort: cutShort) {
                if timedOut { schedule.noteDrainTimedOut() }
                cancel()
                return
            }
        }
    }

    /// Plays the conversation a claim stands for and records it.
    func conversation(_ claim: PointSchedule.Claim, source: ConversationSource, pointIndex: Int, driver: ConversationDriver) async -> Played {
        let player: ConversationPlayer
        var kind = "session"
        var traceID: String?
        switch source {
        case let .program(program):
            kind = program.kind.rawValue
            player = ConversationPlayer(program: program, conversation: (UInt64(pointIndex) << 32 | UInt64(claim.id)) ^ salt, text: text)
        case let .trace(conversations):
            let c = conversations[claim.id % conversations.count]
            traceID = c.id
            player = ConversationPlayer(program: ConversationProgram(name: c.id, kind: .session, steps: c.steps),
                                        conversation: (UInt64(pointIndex) << 32 | UInt64(claim.id)) ^ salt, text: text)
        }
        let phase: RequestPhase = claim.isWarmup ? .warmup : .measured
        let outcome = await driver.play(player, conversation: claim.id, phase: phase, encoder: HistoryEncoder(options: options, address: address),
                                        readyAt: claim.scheduled, calls: ConversationDriver.Counter())
        let cancelled = outcome.records.contains { $0.failure?.kind == .cancelled } || (Task.isCancelled && !outcome.player.isFinished)
        let p = outcome.player
        let record = ConversationRecord(
            id: claim.id, phase: phase, kind: kind, startNanoseconds: claim.scheduled,
            endNanoseconds: outcome.records.compactMap(\.completedNanoseconds).max(), calls: outcome.records.count,
            toolSeconds: played(p.toolSeconds), thinkSeconds: played(p.thinkSeconds), truncatedTokens: p.truncatedTokens, stoppedByFailure: p.stoppedByFailure && !cancelled,
            cutShort: cancelled, traceID: traceID)
        return Played(record: record, requests: outcome.records)
    }

    /// A wait of the program or trace as this run played it (divided by the speed-up).
    func played(_ seconds: Double) -> Double { speedup.map { seconds / $0 } ?? 0 }

    /// The point's outcome: every request in id order, the window of the measured requests, and why it stopped.
    func result(_ played: [Played], schedule: PointSchedule, origin: UInt64) -> ConversationPointRun {
        var outcome = schedule.stopped ?? (reason: "every conversation ended", partial: false)
        if outcome.reason.hasPrefix("request count reached") {
            outcome.reason = "conversation count reached" + outcome.reason.dropFirst("request count reached".count)
        }
        let records = played.flatMap(\.requests).sorted { $0.id < $1.id }
        // A rate of conversations is not a rate of requests: no offered request rate.
        let run = PointRun(records: records, window: schedule.window(of: records, origin: origin), offeredRequestsPerSecond: nil,
                           partial: outcome.partial, stoppedBy: outcome.reason)
        return ConversationPointRun(run: run, conversations: played.map(\.record))
    }
}
