import TokenMeterCore

/// One worker's exact share of a benchmark split across `size` workers: rank r of W gets `n / W + (r < n % W ? 1 : 0)` of
/// every count (connections at each concurrency, measured requests) and the contiguous block of global request ids that
/// starts after the ranks before it. The shares add up to the whole, and the blocks cover 0 ..< N once each. An open loop
/// is split by thinning one global arrival schedule: rank r sends arrivals r, r + W, r + 2W, …, so the union is exactly the
/// single-machine schedule, and its k-th request is global request r + k·W.
public struct WorkerShare: Codable, Sendable, Equatable {
    /// This worker's rank, 0 ..< size.
    public var rank: Int
    /// How many workers share the benchmark.
    public var size: Int
    /// The whole benchmark's concurrency at each point (closed loop), in sweep order.
    public var totalConcurrency: [Int]
    /// This worker's connections at each point.
    public var concurrency: [Int]
    /// The whole benchmark's measured requests per point, when counted.
    public var totalRequests: Int?
    /// This worker's measured requests per point.
    public var requests: Int?
    /// The global id of this worker's first measured request; its k-th is `firstRequestID + k × idStride`.
    public var firstRequestID: Int
    /// 1 for a block of ids (closed loop), `size` for every W-th (an open loop's thinned arrivals).
    public var idStride: Int
    /// The whole benchmark's measured conversations per point (sessions, tasks), when counted, and this worker's part;
    /// conversation k of this worker is global conversation rank + k·size.
    public var totalConversations: Int?
    public var conversations: Int?
    /// The global arrival rates of the points, for an open loop (each worker draws the whole schedule and sends its share);
    /// `totalConcurrency` then holds each point's cap on requests in flight, 0 when uncapped.
    public var rates: [Double]?

    /// The share of rank `rank` of `size`.
    /// `interleaved`: the worker sends every W-th request of one global order (an open loop's arrivals, a trace's requests),
    /// and its k-th request is global request rank + k·W; otherwise it owns a contiguous block of ids.
    public init(rank: Int, size: Int, totalConcurrency: [Int], totalRequests: Int?, rates: [Double]? = nil, interleaved: Bool? = nil,
                totalConversations: Int? = nil) throws(ConfigError) {
        guard size >= 1, (0..<size).contains(rank) else {
            throw ConfigError(field: "rank", message: "rank \(rank) is not one of 0 ..< \(size) workers")
        }
        // An open loop's or a trace's cap of 0 means no cap.
        let uncappable = interleaved ?? (rates != nil)
        for c in totalConcurrency where c < size && !(uncappable && c == 0) {
            throw ConfigError(field: "concurrency", message: "concurrency \(c) cannot be split over \(size) workers: each needs at least one connection")
        }
        if let n = totalRequests, n < size {
            throw ConfigError(field: "requests", message: "\(n) requests cannot be split over \(size) workers: each needs at least one")
        }
        self.rank = rank
        self.size = size
        self.totalConcurrency = totalConcurrency
        concurrency = totalConcurrency.map { Self.part(of: $0, rank: rank, size: size) }
        self.totalRequests = totalRequests
        requests = totalRequests.map { Self.part(of: $0, rank: rank, size: size) }
        self.rates = rates
        self.totalConversations = totalConversations
        conversations = totalConversations.map { Self.part(of: $0, rank: rank, size: size) }
        if let n = totalConversations, n < size {
            throw ConfigError(field: "conversations", message: "\(n) conversations cannot be split over \(size) workers: each needs at least one")
        }
        if interleaved ?? (rates != nil) {
            firstRequestID = rank
            idStride = size
        } else {
            firstRequestID = totalRequests.map { n in (0..<rank).reduce(0) { $0 + Self.part(of: n, rank: $1, size: size) } } ?? 0
            idStride = 1
        }
    }

    /// Rank `rank`'s part of `n` split over `size`.
    public static func part(of n: Int, rank: Int, size: Int) -> Int { n / size + (rank < n % size ? 1 : 0) }

    enum CodingKeys: String, CodingKey {
        case rank, size, totalConcurrency = "total_concurrency", concurrency, totalRequests = "total_requests", requests
        case firstRequestID = "first_request_id", idStride = "id_stride", rates
        case totalConversations = "total_conversations", conversations
    }
}
