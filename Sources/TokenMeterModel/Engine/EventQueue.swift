/// Events on a virtual clock, earliest first; events at the same time in the order they were pushed. A binary heap.
struct EventQueue<Event> {
    private var heap: [(time: UInt64, order: Int, event: Event)] = []
    private var pushed = 0

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ event: Event, at time: UInt64) {
        heap.append((time, pushed, event))
        pushed += 1
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (UInt64, Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count, Self.before(heap[l], heap[m]) { m = l }
            if r < heap.count, Self.before(heap[r], heap[m]) { m = r }
            guard m != i else { break }
            heap.swapAt(i, m)
            i = m
        }
        return (top.time, top.event)
    }

    private static func before(_ a: (time: UInt64, order: Int, event: Event), _ b: (time: UInt64, order: Int, event: Event)) -> Bool {
        (a.time, a.order) < (b.time, b.order)
    }
}
