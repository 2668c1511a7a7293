import Testing
import TokenMeterCore

/// The order in which an event loop writes its waiting timed sends, and a simulation handles its events.
@Suite struct DueHeapTests {
    @Test func popsByTimeAndKeepsTheOrderOfTiesAsAdded() {
        var heap = DueHeap<Int>()
        var generator = SystemRandomNumberGenerator()
        // 2,000 items over 50 distinct times, so every time has many ties.
        let dues = (0..<2_000).map { _ in UInt64.random(in: 0..<50, using: &generator) }
        for (index, due) in dues.enumerated() { heap.push(due, index) }
        var popped: [Int] = []
        while let first = heap.firstDue {
            let index = heap.pop()
            #expect(dues[index] == first)
            popped.append(index)
        }
        #expect(heap.isEmpty)
        let expected = dues.indices.sorted { (dues[$0], $0) < (dues[$1], $1) }
        #expect(popped == expected)
    }

    @Test func interleavedPushesAndPopsStayOrdered() {
        var heap = DueHeap<UInt64>()
        var out: [UInt64] = []
        // A ramp-like pattern: times added in rising order while earlier ones are taken, plus some late and early ones.
        for round in UInt64(0)..<100 {
            heap.push(round * 10 + 5, round * 10 + 5)
            heap.push(round * 10, round * 10)
            heap.push(round * 10 + 1_000, round * 10 + 1_000)
            while let first = heap.firstDue, first <= round * 10 + 5 { out.append(heap.pop()) }
        }
        while !heap.isEmpty { out.append(heap.pop()) }
        #expect(out == out.sorted())
        #expect(out.count == 300)
    }
}
