/// A binary min-heap of items by due time, ties in the order they were added: the timed sends an event loop writes
/// (`DueSends`) and the events of a simulation's virtual clock. Inlinable: the send path pops it for every timed request.
public struct DueHeap<Element> {
    @usableFromInline var entries: [(due: UInt64, order: UInt64, element: Element)] = []
    @usableFromInline var added: UInt64 = 0

    /// An empty heap.
    @inlinable public init() {}

    /// The earliest due time, nil when empty.
    @inlinable public var firstDue: UInt64? { entries.first?.due }

    /// True when nothing waits.
    @inlinable public var isEmpty: Bool { entries.isEmpty }

    /// Adds an item due at `due`.
    @inlinable public mutating func push(_ due: UInt64, _ element: Element) {
        entries.append((due, added, element))
        added += 1
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(child, parent) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest; the heap must not be empty.
    @inlinable public mutating func pop() -> Element {
        let first = entries[0].element
        let last = entries.removeLast()
        guard !entries.isEmpty else { return first }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count, precedes(left, smallest) { smallest = left }
            if right < entries.count, precedes(right, smallest) { smallest = right }
            guard smallest != parent else { return first }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }

    @inlinable func precedes(_ a: Int, _ b: Int) -> Bool {
        (entries[a].due, entries[a].order) < (entries[b].due, entries[b].order)
    }
}

extension DueHeap: Sendable where Element: Sendable {}
