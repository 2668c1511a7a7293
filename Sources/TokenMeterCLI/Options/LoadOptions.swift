import ArgumentParser
import TokenMeterBench
import TokenMeterCore
import TokenMeterResults
import TokenMeterWorkloads

/// The sweep `bench` runs, and the bounds of each point.
struct LoadOptions: ParsableArguments {
    @OptionGroup var concurrency: ConcurrencyOption
    @Option(help: "Open-loop request rates per second to sweep, e.g. 5,10,20.") var rate: CommaList<Double>?
    @Option(help: "Arrival process of --rate points: poisson, constant or gamma.") var arrival = ArrivalProcess.poisson
    @Option(help: "Gamma shape for --arrival gamma (1 is Poisson, below 1 burstier).") var burstiness = 1.0
    @Option(help: "Cap on requests in flight of --rate points.") var maxConcurrency: Int?
    @Option(help: "Measured requests per point (default 8 x concurrency, at least 16; or 10 s of arrivals).") var requests: Int?
    @Option(help: "Measure each point for this long instead of a count, e.g. 120s.") var duration: String?
    @Option(help: "Warm-up per point: a request count or a time such as 10s (default: one round).") var warmup: String?
    @Option(help: "In-flight requests at the end of a point: wait or cancel.") var drain = DrainRule.wait
    @Option(help: "Longest wait for in-flight requests after a point, e.g. 60s.") var drainTimeout = "60s"
    @Option(help: "Hard limit on one point, warm-up and drain included, e.g. 10m.") var maxPointDuration = "10m"
    @Option(help: "Closed loop: spread the slots' first requests evenly over this long, e.g. 2s (default: all at once).") var rampUp: String?
    @Option(help: "Seed of prompts, lengths and arrivals.") var seed = 42
    @Option(help: "With --workload or a trace of conversations: users to sweep, each running one conversation after another, e.g. 4,16.")
    var sessions: CommaList<Int>?
    @Option(help: "With --workload: measured conversations per point (default two per user, or 10 s of arrivals; at least 4).")
    var sessionCount: Int?

    /// The load plan of a workload, every bound checked.
    func resolve(for workload: WorkloadPlan) throws(ConfigError) -> LoadPlan {
        var plan = try resolve(modes: try modes(for: workload))
        if let n = sessionCount {
            guard n >= 1 else { throw ConfigError(field: "session-count", message: "must be at least 1") }
            guard case .conversations = workload.shape else { throw ConfigError(field: "session-count", message: "only applies with --workload") }
            plan.conversations = n
        }
        if case .trace = workload.shape, requests != nil {
            throw ConfigError(field: "requests", message: "a trace replays its own requests; cut it with --trace-max-requests")
        }
        return plan
    }

    /// The points of a workload: conversations swept by users (or arriving at a rate), a trace at its recorded times.
    func modes(for workload: WorkloadPlan) throws(ConfigError) -> [LoadMode] {
        let users = try sessions.map { s throws(ConfigError) in try ConcurrencyOption.check(s.values, field: "sessions") }
        if users != nil, concurrency.concurrency != nil {
            throw ConfigError(field: "sessions", message: "give either --sessions or --concurrency, not both")
        }
        switch workload.shape {
        case .requests:
            if users != nil { throw ConfigError(field: "sessions", message: "only applies with --workload or a trace of conversations") }
            return try modes()
        case .conversations:
            if let users, rate == nil { return users.map { .concurrency($0) } }
            return rate == nil ? try concurrency.levels(default: [4]).map { .concurrency($0) } : try modes()
        case let .trace(trace):
            guard trace.hasSessions else {
                if users != nil || concurrency.concurrency != nil || rate != nil {
                    throw ConfigError(field: "trace", message: "a trace brings its own arrival times; cap requests in flight with --max-concurrency")
                }
                return [try replay(workload.speedup)]
            }
            if rate != nil { throw ConfigError(field: "rate", message: "a trace's conversations start at their recorded times, or --sessions at a time") }
            if let users { return users.map { .concurrency($0) } }
            if let levels = concurrency.concurrency?.values { return try ConcurrencyOption.check(levels, field: "concurrency").map { .concurrency($0) } }
            if trace.conversations.contains(where: { $0.start != nil }) { return [try replay(workload.speedup)] }
            return [.concurrency(min(64, trace.conversations.count))]
        }
    }

    /// A replay point, with its cap checked; `max` speed needs a cap.
    func replay(_ speedup: Double?) throws(ConfigError) -> LoadMode {
        if let cap = maxConcurrency, cap < 1 { throw ConfigError(field: "max-concurrency", message: "must be at least 1, got \(cap)") }
        if speedup == nil, maxConcurrency == nil {
            throw ConfigError(field: "speedup", message: "--speedup max replays as fast as a cap allows: give --max-concurrency too")
        }
        return .replay(speedup: speedup, maxConcurrency: maxConcurrency)
    }

    /// The load plan, every bound checked.
    func resolve() throws(ConfigError) -> LoadPlan { try resolve(modes: try modes()) }

    /// The load plan of these points, every bound checked.
    func resolve(modes: [LoadMode]) throws(ConfigError) -> LoadPlan {
        let (requests, durationSeconds) = try measurement()
        let (warmupRequests, warmupSeconds) = try warmups()
        let maxPointSeconds = try seconds(maxPointDuration, "max-point-duration")
        guard maxPointSeconds > 0 else { throw ConfigError(field: "max-point-duration", message: "must be longer than zero") }
        var rampUpSeconds = 0.0
        if let rampUp {
            guard rate == nil else {
                throw ConfigError(field: "ramp-up", message: "applies to a closed loop (--concurrency); an open loop's arrivals are its schedule")
            }
            rampUpSeconds = try seconds(rampUp, "ramp-up")
            guard rampUpSeconds < maxPointSeconds else {
                throw ConfigError(field: "ramp-up", message: "must be shorter than max-point-duration (\(maxPointDuration))")
            }
        }
        return LoadPlan(modes: modes, requests: requests, durationSeconds: durationSeconds, warmupRequests: warmupRequests,
                        warmupSeconds: warmupSeconds, drain: drain, drainTimeoutSeconds: try seconds(drainTimeout, "drain-timeout"),
                        maxPointSeconds: maxPointSeconds, rampUpSeconds: rampUpSeconds, seed: UInt64(bitPattern: Int64(seed)))
    }

    /// Open-loop points at each rate, else closed-loop points at each concurrency.
    func modes() throws(ConfigError) -> [LoadMode] {
        guard let rates = rate?.values else {
            if maxConcurrency != nil { throw ConfigError(field: "max-concurrency", message: "only applies to open-loop --rate points") }
            return try concurrency.levels(default: [1, 4, 16, 64]).map { .concurrency($0) }
        }
        if concurrency.concurrency != nil {
            throw ConfigError(field: "rate", message: "give either --concurrency (closed loop) or --rate (open loop), not both")
        }
        guard rates.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ConfigError(field: "rate", message: "rates must be positive numbers of requests per second, e.g. --rate 5,10,20")
        }
        guard burstiness > 0 else { throw ConfigError(field: "burstiness", message: "must be above 0 (1 is Poisson)") }
        if let cap = maxConcurrency, cap < 1 { throw ConfigError(field: "max-concurrency", message: "must be at least 1, got \(cap)") }
        return rates.map { .rate($0, arrival, burstiness: burstiness, maxConcurrency: maxConcurrency) }
    }

    /// A point's measured requests, or its measured duration.
    func measurement() throws(ConfigError) -> (requests: Int?, seconds: Double?) {
        if let r = requests, r < 1 { throw ConfigError(field: "requests", message: "must be at least 1, got \(r)") }
        guard let duration else { return (requests, nil) }
        let s = try seconds(duration, "duration")
        guard s > 0 else { throw ConfigError(field: "duration", message: "must be longer than zero") }
        guard requests == nil else { throw ConfigError(field: "duration", message: "give either --requests or --duration per point, not both") }
        return (nil, s)
    }

    /// The warm-up as a count or as a time.
    func warmups() throws(ConfigError) -> (requests: Int?, seconds: Double?) {
        guard let warmup else { return (nil, nil) }
        if let n = Int(warmup.trimmingWhitespace) {
            guard n >= 0 else { throw ConfigError(field: "warmup", message: "must not be negative") }
            return (n, nil)
        }
        return (nil, try seconds(warmup, "warmup"))
    }

    func seconds(_ text: String, _ field: String) throws(ConfigError) -> Double {
        try DurationText.milliseconds(text, field: field) / 1000
    }
}
