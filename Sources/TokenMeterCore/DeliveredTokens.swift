/// How the tokens of a request are spread over its token-bearing events.
public enum TokenAttribution {
    /// Tokens carried by each token-bearing event: the server's deltas when streamed, else an even share of the total.
    public static func tokensPerEvent(_ record: RequestRecord) -> [Double] {
        let events = record.tokenEvents
        guard !events.isEmpty else { return [] }
        let known = events.compactMap(\.tokens)
        if known.count == events.count { return known.map(Double.init) }
        let share = Double(record.outputTokens) / Double(events.count)
        return Array(repeating: share, count: events.count)
    }
}

/// Tokens delivered inside a window, by requests of any phase that succeeded or that the client itself cancelled (drain
/// rule, interrupt); tokens of requests the server or transport failed are not delivered. Also per slice of the window,
/// and the time requests were in flight inside it.
struct WindowTokens {
    var output = 0.0
    var input = 0.0
    var outputSlices = Array(repeating: 0.0, count: PointMetrics.sliceCount)
    var inputSlices = Array(repeating: 0.0, count: PointMetrics.sliceCount)
    var busyNanoseconds = 0.0

    let window: MeasurementWindow

    init(window: MeasurementWindow) { self.window = window }

    func slice(_ t: UInt64) -> Int {
        let windowNanoseconds = Double(window.endNanoseconds - window.startNanoseconds)
        guard windowNanoseconds > 0 else { return 0 }
        let count = PointMetrics.sliceCount
        return min(count - 1, Int(Double(t - window.startNanoseconds) / windowNanoseconds * Double(count)))
    }

    mutating func add(_ record: RequestRecord) {
        if let sent = record.sentNanoseconds, let done = record.completedNanoseconds {
            let lo = max(sent, window.startNanoseconds)
            let hi = min(done, window.endNanoseconds)
            if hi > lo { busyNanoseconds += Double(hi - lo) }
        }
        guard record.delivered else { return }
        let tokenEvents = record.tokenEvents
        let perEvent = TokenAttribution.tokensPerEvent(record)
        for (event, tokens) in zip(tokenEvents, perEvent) where window.contains(event.timeNanoseconds) {
            output += tokens
            outputSlices[slice(event.timeNanoseconds)] += tokens
        }
        // Input counts when the first token came, or, for an answer without tokens (an embedding), when it arrived.
        let prefilled = tokenEvents.first?.timeNanoseconds ?? (record.streamed ? nil : record.completedNanoseconds)
        if let prefilled, window.contains(prefilled) {
            input += Double(record.inputTokens)
            inputSlices[slice(prefilled)] += Double(record.inputTokens)
        }
    }

    mutating func absorb(_ other: WindowTokens) {
        output += other.output
        input += other.input
        busyNanoseconds += other.busyNanoseconds
        for i in outputSlices.indices {
            outputSlices[i] += other.outputSlices[i]
            inputSlices[i] += other.inputSlices[i]
        }
    }

    /// Output tok/s in each slice of a window this long; nil for an empty window.
    func outputSliceRates(windowSeconds: Double) -> [Double]? {
        guard windowSeconds > 0 else { return nil }
        let sliceSeconds = windowSeconds / Double(PointMetrics.sliceCount)
        return outputSlices.map { $0 / sliceSeconds }
    }

    /// Input and output tok/s in each slice of a window this long; nil for an empty window.
    func totalSliceRates(windowSeconds: Double) -> [Double]? {
        guard windowSeconds > 0 else { return nil }
        let sliceSeconds = windowSeconds / Double(PointMetrics.sliceCount)
        return zip(outputSlices, inputSlices).map { ($0 + $1) / sliceSeconds }
    }
}

/// Token totals of the requests that succeeded.
struct SucceededTokens {
    var cached = 0
    var prompt = 0
    var cacheWrite: Int?
    var reasoning = 0
    var output = 0

    mutating func add(_ record: RequestRecord) {
        cached += record.usage?.cachedPromptTokens ?? 0
        if let written = record.usage?.cacheWriteTokens { cacheWrite = (cacheWrite ?? 0) + written }
        prompt += record.inputTokens
        reasoning += record.reasoningTokens
        output += record.outputTokens
    }

    mutating func absorb(_ other: SucceededTokens) {
        cached += other.cached
        if let written = other.cacheWrite { cacheWrite = (cacheWrite ?? 0) + written }
        prompt += other.prompt
        reasoning += other.reasoning
        output += other.output
    }
}
