import Testing
import TokenMeterBench

/// The start of each point on Kubernetes, played through one shared ConfigMap by every worker in turn: nobody starts before
/// everybody has announced the point, all start at the one instant rank 0 wrote, and a missing worker holds everyone.
@Suite struct KubernetesStartProtocolTests {
    /// Runs `ranks` of `size` workers' protocols round robin over one ConfigMap; returns each rank's start (nil: still waiting).
    static func play(size: Int, ranks: [Int], point: Int, rounds: Int = 10, data: inout [String: String]) -> [Int: UInt64] {
        var states = ranks.map { KubernetesStartProtocol(rank: $0, size: size, point: point) }
        var started: [Int: UInt64] = [:]
        var now: UInt64 = 1_000
        for _ in 0..<rounds {
            for i in states.indices where started[states[i].rank] == nil {
                now += 10
                switch states[i].next(data: data, now: now) {
                case let .patch(keys): data.merge(keys) { _, new in new }
                case .poll: break
                case let .start(at): started[states[i].rank] = at
                }
            }
        }
        return started
    }

    @Test func everyWorkerStartsAtTheInstantRankZeroWroteOnceAllAnnounced() {
        var data: [String: String] = ["workers": "3"]
        // Rank 2 announces first, rank 0 last: rank 0 publishes only after its own announcement completes the set.
        let started = Self.play(size: 3, ranks: [2, 1, 0], point: 0, data: &data)
        #expect(started.count == 3 && Set(started.values).count == 1)
        let at = try? #require(started[0])
        // Published a margin (0.5 s) after the moment rank 0 saw all three announcements.
        #expect((at ?? 0) > 500_000_000 && (at ?? 0) < 500_002_000)
        #expect(Set(data.keys) == ["workers", "ready-0-0", "ready-0-1", "ready-0-2", "start-0"])
        // The next point is its own round: the first point's start is not reused.
        var next = KubernetesStartProtocol(rank: 1, size: 3, point: 1)
        #expect(next.next(data: data, now: 5) == .patch(["ready-1-1": "5"]))
        #expect(next.next(data: data, now: 6) == .poll)
    }

    @Test func aMissingWorkerHoldsEveryone() {
        var data: [String: String] = [:]
        let started = Self.play(size: 3, ranks: [0, 1], point: 0, rounds: 50, data: &data)
        #expect(started.isEmpty && data["start-0"] == nil)
    }
}
