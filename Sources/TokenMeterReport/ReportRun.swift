import TokenMeterCore
import TokenMeterCost
import TokenMeterResults

/// One run as the report draws it: its result, its requests, and its price (or why it has none).
public struct ReportRun: Sendable {
    /// Run id.
    public var id: String
    /// Legend name.
    public var name: String
    /// The measured result.
    public var result: RunResult
    /// Status (`complete`, `partial`, …).
    public var status: String
    /// GPU type, where known.
    public var hardware: String?
    /// Engine, where known.
    public var engine: String?
    /// How its tokens are priced, or why they are not.
    public var pricing: Result<CostProfile, Unpriced>
    /// What each point with successful requests costs, by point index (empty when unpriced).
    public var costs: [Int: PointCost]
    /// The requests of each point (the timeline), by point index; empty when not available.
    public var requests: [Int: [RequestRecord]]
    /// What each point cost: the price bench recorded (its card or GPU profile), unless the user priced the report
    /// otherwise; then through the same function, `PointPricing.price`, with the report's profile.
    public var prices: [Int: PointPrice]
    /// What the pricing assumed, when it assumed anything.
    public var assumption: String?

    /// Creates a run, pricing each point that delivered through `pricer`.
    public init(id: String, name: String, result: RunResult, status: String, hardware: String?, engine: String?, pricer: Pricer,
                requests: [Int: [RequestRecord]]) {
        self.id = id
        self.name = name
        self.result = result
        self.status = status
        self.hardware = hardware
        self.engine = engine
        self.requests = requests
        pricing = pricer.profile(forHardware: hardware)
        var costs: [Int: PointCost] = [:]
        if case let .success(profile) = pricing {
            for point in result.points where point.metrics.requestsSucceeded > 0 {
                costs[point.index] = pricer.cost(of: Delivery(metrics: point.metrics), profile)
            }
        }
        self.costs = costs
        var prices: [Int: PointPrice] = [:]
        var assumption = pricer.assumption(hardware: hardware)
        for point in result.points where point.metrics.requestsSucceeded > 0 {
            if !pricer.overrides, let recorded = point.price {
                prices[point.index] = recorded
                assumption = recorded.assumed
            } else if case let .success(profile) = pricing {
                prices[point.index] = PointPricing.price(.profile(profile, assumed: assumption), records: requests[point.index] ?? [], conversations: [],
                                                         metrics: point.metrics, blend: pricer.policy.blend, today: "")
            }
        }
        self.prices = prices
        self.assumption = assumption
    }

    /// A stored run as the report draws it: every point's requests read from `store`, named by its label and id, priced
    /// through `pricer`.
    public static func load(_ run: StoredRun, from store: any RunStore, pricer: Pricer) async throws -> ReportRun {
        var requests: [Int: [RequestRecord]] = [:]
        for point in run.result.points { requests[point.index] = try await store.requests(runID: run.metadata.id, point: point.index) }
        return ReportRun(id: run.metadata.id, name: run.metadata.label.map { "\($0) (\(run.metadata.id))" } ?? run.metadata.id,
                         result: run.result, status: run.status.rawValue, hardware: run.metadata.hardware, engine: run.metadata.engine,
                         pricer: pricer, requests: requests)
    }

    /// The cost of one used GPU-hour and what it is made of (nil for an API card or when unpriced).
    var gpuHour: GPUHourCost? { (try? pricing.get()).flatMap { GPUHourCost($0) } }
}
