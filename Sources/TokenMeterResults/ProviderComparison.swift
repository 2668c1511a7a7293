import TokenMeterCore

/// Targets side by side on one workload (`tokenmeter compare`): each target's figures over the rounds, and two rankings —
/// by delivered cost per token, and by what its GPUs cost an hour — so a reader sees where they disagree.
public struct ProviderComparison: Codable, Sendable, Equatable {
    /// `tokenmeter.compare/v1`.
    public var schema: String
    /// Rounds run; in each, every target ran once, in an order rotated round by round.
    public var rounds: Int
    /// The objective checked, when one was given.
    public var objective: String?
    /// Every target.
    public var targets: [ComparedTarget]
    /// Target names from the lowest delivered $/Mtok.
    public var rankingByDeliveredCost: [String]
    /// GPU-priced target names from the lowest $/GPU-hour (API cards have none).
    public var rankingByGPUHour: [String]

    /// Creates a result.
    public init(rounds: Int, objective: String?, targets: [ComparedTarget]) {
        schema = "tokenmeter.compare/v1"
        self.rounds = rounds
        self.objective = objective
        self.targets = targets
        rankingByDeliveredCost = targets.filter { $0.usdPerMtokBlended != nil }.sorted { $0.usdPerMtokBlended! < $1.usdPerMtokBlended! }.map(\.name)
        rankingByGPUHour = targets.filter { $0.usdPerGPUHour != nil }.sorted { $0.usdPerGPUHour! < $1.usdPerGPUHour! }.map(\.name)
    }

    enum CodingKeys: String, CodingKey {
        case schema, rounds, objective, targets, rankingByDeliveredCost = "ranking_by_delivered_cost", rankingByGPUHour = "ranking_by_gpu_hour"
    }
}

/// One target of a comparison: the means over its rounds of its (one) point.
public struct ComparedTarget: Codable, Sendable, Equatable {
    public var name: String
    public var url: String
    public var api: String
    public var model: String
    /// The price card or GPU profile it was priced by.
    public var priceSource: String
    /// `card` or `gpu`.
    public var priceKind: String
    public var usdPerGPUHour: Double?
    public var usdPerMtokBlended: Double?
    public var usdPerMtokAnswer: Double?
    public var usdPerRequest: Double?
    public var usdPerConversation: Double?
    public var conversationKind: String?
    public var outputTokensPerSecondPerGPU: Double
    public var totalTokensPerSecondPerGPU: Double
    /// Share of measured requests that met every bound of the objective, when there is one.
    public var sloAttainment: Double?
    public var requestsSucceeded: Int
    public var requestsFailed: Int
    /// Rounds in which it ran.
    public var rounds: Int
    /// Where each round's result files are.
    public var results: [String]

    /// Creates a target from its rounds' first points.
    public init(name: String, url: String, api: String, model: String, points: [PointResult], results: [String]) {
        self.name = name
        self.url = url
        self.api = api
        self.model = model
        self.results = results
        rounds = points.count
        let prices = points.compactMap(\.price)
        priceSource = prices.first?.source ?? "-"
        priceKind = prices.first?.kind ?? "-"
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        usdPerGPUHour = mean(prices.compactMap(\.usdPerGPUHour))
        usdPerMtokBlended = mean(prices.compactMap(\.usdPerMtokBlended))
        usdPerMtokAnswer = mean(prices.compactMap(\.usdPerMtokAnswer))
        usdPerRequest = mean(prices.compactMap(\.usdPerRequest))
        usdPerConversation = mean(prices.compactMap(\.usdPerConversation))
        conversationKind = prices.first?.conversationKind
        outputTokensPerSecondPerGPU = mean(points.map(\.metrics.outputTokensPerSecondPerGPU)) ?? 0
        totalTokensPerSecondPerGPU = mean(points.map(\.metrics.totalTokensPerSecondPerGPU)) ?? 0
        let good = points.compactMap(\.metrics.goodput?.goodRequests).reduce(0, +)
        let measured = points.map(\.metrics.requestsMeasured).reduce(0, +)
        sloAttainment = points.contains { $0.metrics.goodput != nil } && measured > 0 ? Double(good) / Double(measured) : nil
        requestsSucceeded = points.map(\.metrics.requestsSucceeded).reduce(0, +)
        requestsFailed = points.map(\.metrics.requestsFailed).reduce(0, +)
    }

    enum CodingKeys: String, CodingKey {
        case name, url, api, model, priceSource = "price_source", priceKind = "price_kind", usdPerGPUHour = "usd_per_gpu_hour"
        case usdPerMtokBlended = "usd_per_mtok_blended", usdPerMtokAnswer = "usd_per_mtok_answer", usdPerRequest = "usd_per_request"
        case usdPerConversation = "usd_per_conversation", conversationKind = "conversation_kind"
        case outputTokensPerSecondPerGPU = "output_tok_s_per_gpu", totalTokensPerSecondPerGPU = "total_tok_s_per_gpu"
        case sloAttainment = "slo_attainment", requestsSucceeded = "requests_succeeded", requestsFailed = "requests_failed", rounds, results
    }
}
