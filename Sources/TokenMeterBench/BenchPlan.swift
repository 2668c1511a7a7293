import TokenMeterCore
import TokenMeterCost
import TokenMeterHTTP
import TokenMeterDialects
import TokenMeterTelemetry
import TokenMeterTokenizer
import TokenMeterWorkloads

/// A resolved `bench` run: everything a session needs, nothing left to parse. The CLI's option groups build its parts.
public struct BenchPlan: Sendable {
    /// Where requests go and how they are made.
    public var endpoint: EndpointPlan
    /// The sweep and each point's bounds.
    public var load: LoadPlan
    /// Prompts and lengths.
    public var workload: WorkloadPlan
    /// Server metrics and GPU power.
    public var telemetry: TelemetryPlan
    /// GPUs behind the endpoint, for per-GPU figures.
    public var gpus: Int
    /// Objective for goodput.
    public var objective: ServiceLevelObjective?
    /// How each point is priced; nil: not priced.
    public var pricing: PricingSource?
    /// Today's date (`YYYY-MM-DD`), against which a price card's dates are checked.
    public var pricingDate = "1970-01-01"

    /// Creates a plan.
    public init(endpoint: EndpointPlan, load: LoadPlan, workload: WorkloadPlan, telemetry: TelemetryPlan, gpus: Int, objective: ServiceLevelObjective?) {
        self.endpoint = endpoint
        self.load = load
        self.workload = workload
        self.telemetry = telemetry
        self.gpus = gpus
        self.objective = objective
    }
}

/// Where requests go and how they are made.
public struct EndpointPlan: Sendable {
    /// The endpoint.
    public var address: EndpointAddress
    /// Model name (nil: ask the server).
    public var model: String?
    /// The API.
    public var api: APIKind
    /// Whether to stream.
    public var stream: Bool
    /// Extra headers, the API key among them.
    public var headers: [(String, String)]
    /// Extra body fields.
    public var extraBody: JSONValue?
    /// Send `ignore_eos`.
    public var ignoreEOS: Bool
    /// Send `min_tokens`.
    public var minTokens: Bool
    /// Ask for usage in every chunk; nil: only against the built-in target.
    public var continuousUsage: Bool?
    /// Client timeouts.
    public var timeouts: ClientTimeouts
    /// TLS context for an https endpoint.
    public var tls: TLSContext?
    /// The dialect's quirks (the provider preset's, or the flags'): stream options, the max-tokens field, Anthropic's
    /// version and cache TTL, Responses chaining, a route of its own. Model, streaming and the engine hints come from the
    /// fields above.
    public var quirks = RequestOptions(api: .chat, model: "")
    /// When refused requests are sent again; nil: never (the default).
    public var retry: RetryPolicy?

    /// Creates an endpoint plan.
    public init(address: EndpointAddress, model: String?, api: APIKind, stream: Bool, headers: [(String, String)], extraBody: JSONValue?,
                ignoreEOS: Bool, minTokens: Bool, continuousUsage: Bool?, timeouts: ClientTimeouts, tls: TLSContext?) {
        self.address = address
        self.model = model
        self.api = api
        self.stream = stream
        self.headers = headers
        self.extraBody = extraBody
        self.ignoreEOS = ignoreEOS
        self.minTokens = minTokens
        self.continuousUsage = continuousUsage
        self.timeouts = timeouts
        self.tls = tls
    }

    /// The request options of a run against `model`; `reference` when the endpoint is the built-in target.
    func requestOptions(model: String, reference: Bool) -> RequestOptions {
        RequestOptions(api: api, model: model, stream: stream, ignoreEOS: ignoreEOS, minTokens: minTokens,
                       continuousUsage: continuousUsage ?? reference, streamOptions: quirks.streamOptions, maxTokensField: quirks.maxTokensField,
                       anthropicVersion: quirks.anthropicVersion, cacheTTL: quirks.cacheTTL, chainResponses: quirks.chainResponses,
                       path: quirks.path, headers: headers, extraBody: extraBody)
    }
}

/// The sweep and the bounds of its points.
public struct LoadPlan: Sendable {
    /// The points.
    public var modes: [LoadMode]
    /// Measured requests per point, if counted.
    public var requests: Int?
    /// Measured seconds per point, if timed.
    public var durationSeconds: Double?
    /// Warm-up requests, if given as a count.
    public var warmupRequests: Int?
    /// Warm-up seconds, if given as a time.
    public var warmupSeconds: Double?
    /// What happens to requests in flight at a point's end.
    public var drain: DrainRule
    /// Longest wait for them.
    public var drainTimeoutSeconds: Double
    /// Hard limit on a point.
    public var maxPointSeconds: Double
    /// Closed loop: the slots' first requests spread over this long.
    public var rampUpSeconds: Double
    /// Seed of prompts, lengths and arrivals.
    public var seed: UInt64
    /// Which arrivals of each open-loop point's schedule this process sends: all, or a scaled-out worker's share.
    public var arrivalShare: ArrivalShare = .all
    /// Mixed into the seed of the prompts (never of the arrivals): scaled-out workers send prompts of their own, as one
    /// machine sends no prompt twice, while drawing the one arrival schedule.
    public var promptSalt: UInt64 = 0
    /// Measured conversations per point (sessions, tasks), when counted.
    public var conversations: Int?
    /// Search for the highest load that meets the objective (`--find-max`) instead of sweeping `modes`.
    public var search: CapacitySearch?

    /// Creates a load plan.
    public init(modes: [LoadMode], requests: Int?, durationSeconds: Double?, warmupRequests: Int?, warmupSeconds: Double?, drain: DrainRule,
                drainTimeoutSeconds: Double, maxPointSeconds: Double, rampUpSeconds: Double, seed: UInt64) {
        self.modes = modes
        self.requests = requests
        self.durationSeconds = durationSeconds
        self.warmupRequests = warmupRequests
        self.warmupSeconds = warmupSeconds
        self.drain = drain
        self.drainTimeoutSeconds = drainTimeoutSeconds
        self.maxPointSeconds = maxPointSeconds
        self.rampUpSeconds = rampUpSeconds
        self.seed = seed
    }

    /// Bounds of a point: the measured count defaults to 8 × the concurrency (at least 16), or 10 s of arrivals; the
    /// warm-up to one round.
    public func bounds(for mode: LoadMode) -> PointBounds {
        let c: Int
        var measured: Int? = requests
        switch mode {
        case let .concurrency(n):
            c = n
            if measured == nil, durationSeconds == nil { measured = max(16, 8 * n) }
        case let .rate(r, _, _, cap):
            c = cap ?? max(1, Int(r.rounded(.up)))
            if measured == nil, durationSeconds == nil { measured = max(16, Int((r * 10).rounded())) }
        case let .replay(_, cap):
            c = cap ?? 1
            if measured == nil, durationSeconds == nil { measured = 16 }
        }
        return PointBounds(
            warmupRequests: warmupSeconds == nil ? (warmupRequests ?? c) : 0, warmupSeconds: warmupSeconds,
            measuredRequests: measured, durationSeconds: durationSeconds, drain: drain,
            drainTimeoutSeconds: drainTimeoutSeconds, maxPointSeconds: maxPointSeconds, rampUpSeconds: rampUpSeconds)
    }

    /// Bounds of a point of conversations: `conversations` measured (default two per user, or 10 s of arrivals, at least 4;
    /// every one a trace holds), no warm-up unless asked for as a count.
    public func conversationBounds(for mode: LoadMode, available: Int? = nil) -> PointBounds {
        var measured = conversations
        if measured == nil, durationSeconds == nil {
            switch mode {
            case let .concurrency(n): measured = max(4, 2 * n)
            case let .rate(r, _, _, _): measured = max(4, Int((r * 10).rounded()))
            case .replay: measured = available
            }
        }
        if let available { measured = min(measured ?? available, available) }
        return PointBounds(warmupRequests: warmupSeconds == nil ? (warmupRequests ?? 0) : 0, warmupSeconds: warmupSeconds,
                           measuredRequests: measured, durationSeconds: durationSeconds, drain: drain, drainTimeoutSeconds: drainTimeoutSeconds,
                           maxPointSeconds: maxPointSeconds, rampUpSeconds: rampUpSeconds)
    }

    /// Bounds of a trace replayed request by request: every request the window holds, no warm-up.
    public func replayBounds(requests: Int) -> PointBounds {
        PointBounds(warmupRequests: 0, measuredRequests: requests, drain: drain, drainTimeoutSeconds: drainTimeoutSeconds,
                    maxPointSeconds: maxPointSeconds)
    }

    /// Distinct prompts to plan for a point: every request when counted, else a bounded pool that is cycled.
    public func planSize(for bounds: PointBounds, mode: LoadMode) -> Int {
        if let measured = bounds.measuredRequests, bounds.warmupSeconds == nil { return measured + bounds.warmupRequests }
        switch mode {
        case let .rate(r, _, _, _):
            return min(8192, max(64, Int((r * ((durationSeconds ?? 10) + (warmupSeconds ?? 0)) * 1.2).rounded(.up)) + 16))
        case let .concurrency(n):
            return min(8192, max(256, 64 * n))
        case .replay:
            return 256
        }
    }
}
