import TokenMeterCore

/// One worker's exact share of a benchmark split across `size` workers: rank r of W gets `n / W + (r < n % W ? 1 : 0)` of
/// every count (connections at each concurrency, measured requests) and the contiguous block of global request ids that
/// starts after the ranks before it. The shares add up to the whole, and the blocks cover 0 ..< N once each.
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
    /// The global id of this worker's first request: its local id 0 is this id in the merged run.
    public var firstRequestID: Int

    /// The share of rank `rank` of `size`.
    public init(rank: Int, size: Int, totalConcurrency: [Int], totalRequests: Int?) throws(ConfigError) {
        guard size >= 1, (0..<size).contains(rank) else {
            throw ConfigError(field: "rank", message: "rank \(rank) is not one of 0 ..< \(size) workers")
        }
        for c in totalConcurrency where c < size {
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
        firstRequestID = totalRequests.map { n in (0..<rank).reduce(0) { $0 + Self.part(of: n, rank: $1, size: size) } } ?? 0
    }

    /// Rank `rank`'s part of `n` split over `size`.
    public static func part(of n: Int, rank: Int, size: Int) -> Int { n / size + (rank < n % size ? 1 : 0) }

    enum CodingKeys: String, CodingKey {
        case rank, size, totalConcurrency = "total_concurrency", concurrency, totalRequests = "total_requests", requests
        case firstRequestID = "first_request_id"
    }
}
