/// The start of each point of a scaled-out benchmark on Kubernetes, as a value: every worker announces it reached point p
/// by adding `ready-p-r` to one ConfigMap; rank 0, once all `size` announcements are there, writes `start-p` (a wall-clock
/// instant a margin ahead); every worker reads `start-p` and sleeps until then. The I/O (GET and merge-PATCH of the
/// ConfigMap) is `KubernetesStartGate`; this decides what to do next from what the ConfigMap holds.
public struct KubernetesStartProtocol: Sendable, Equatable {
    /// What to do next.
    public enum Step: Sendable, Equatable {
        /// Add these keys to the ConfigMap's data (a merge patch).
        case patch([String: String])
        /// Read the ConfigMap again after a short wait.
        case poll
        /// Start at this instant.
        case start(UInt64)
    }

    public let rank: Int
    public let size: Int
    public let point: Int
    public var marginNanoseconds: UInt64 = 500_000_000
    var announced = false

    public init(rank: Int, size: Int, point: Int) {
        self.rank = rank
        self.size = size
        self.point = point
    }

    public static func readyKey(point: Int, rank: Int) -> String { "ready-\(point)-\(rank)" }
    public static func startKey(point: Int) -> String { "start-\(point)" }

    /// The next step given the ConfigMap's data and the wall clock now.
    public mutating func next(data: [String: String], now: UInt64) -> Step {
        if let start = data[Self.startKey(point: point)].flatMap(UInt64.init) { return .start(start) }
        if !announced {
            announced = true
            return .patch([Self.readyKey(point: point, rank: rank): String(now)])
        }
        if rank == 0, (0..<size).allSatisfy({ data[Self.readyKey(point: point, rank: $0)] != nil }) {
            return .patch([Self.startKey(point: point): String(now + marginNanoseconds)])
        }
        return .poll
    }
}
