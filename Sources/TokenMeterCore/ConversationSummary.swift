/// A point's conversations summed up: per conversation (how long, how much of it in the model and how much waiting on
/// people and tools, its tokens) and per turn index (how TTFT, prompt and cached tokens grow as a context does).
public struct ConversationSummary: Codable, Sendable, Equatable {
    /// `session` or `task`.
    public var kind: String
    /// Measured conversations.
    public var measured: Int
    /// Of those, ran to their end.
    public var completed: Int
    /// Of those, stopped at a failed call (their later calls not made).
    public var stoppedByFailure: Int
    /// Of those, cut short by the point's end.
    public var cutShort: Int
    /// Of those, had older messages dropped to fit the context limit.
    public var truncated: Int
    /// Seconds from start to last answer, completed conversations.
    public var durationSeconds: Distribution?
    /// Seconds with at least one call in flight.
    public var modelSeconds: Distribution?
    /// Seconds waiting on tools.
    public var toolSeconds: Distribution?
    /// Seconds waiting on the user (think time, recorded waits).
    public var thinkSeconds: Distribution?
    /// Calls per conversation.
    public var calls: Distribution?
    /// Prompt tokens per conversation, summed over its calls.
    public var inputTokens: Distribution?
    /// Of those, served from the server's prefix cache (where it reports them).
    public var cachedTokens: Distribution?
    /// Output tokens per conversation.
    public var outputTokens: Distribution?
    /// Reasoning tokens per conversation (where the server reports them).
    public var reasoningTokens: Distribution?
    /// Completed conversations per hour over the measurement window.
    public var completedPerHour: Double?
    /// The same per GPU.
    public var completedPerHourPerGPU: Double?
    /// By call index (0 first), up to `TurnSummary.limit` indices.
    public var turns: [TurnSummary]

    enum CodingKeys: String, CodingKey {
        case kind, measured, completed, stoppedByFailure = "stopped_by_failure", cutShort = "cut_short", truncated
        case durationSeconds = "duration_s", modelSeconds = "model_s", toolSeconds = "tool_s", thinkSeconds = "think_s", calls
        case inputTokens = "input_tokens", cachedTokens = "cached_tokens", outputTokens = "output_tokens", reasoningTokens = "reasoning_tokens"
        case completedPerHour = "completed_per_hour", completedPerHourPerGPU = "completed_per_hour_per_gpu", turns
    }
}

/// The calls at one index of their conversations.
public struct TurnSummary: Codable, Sendable, Equatable {
    /// Indices summarised, at most (later ones are counted in the last).
    public static let limit = 64

    /// Call index, 0 first (the last entry also holds every later index).
    public var call: Int
    /// Calls at this index that succeeded.
    public var requests: Int
    /// TTFT, ms.
    public var ttftMs: Distribution?
    /// TPOT, ms.
    public var tpotMs: Distribution?
    /// Mean prompt tokens.
    public var meanPromptTokens: Double
    /// Mean prompt tokens the server's prefix cache served, where it reports them.
    public var meanCachedTokens: Double?

    enum CodingKeys: String, CodingKey {
        case call, requests, ttftMs = "ttft_ms", tpotMs = "tpot_ms", meanPromptTokens = "mean_prompt_tokens", meanCachedTokens = "mean_cached_tokens"
    }

    /// Share of the prompt served from the cache.
    public var cachedShare: Double? { meanCachedTokens.map { meanPromptTokens > 0 ? $0 / meanPromptTokens : 0 } }
}

extension ConversationSummary {
    /// Summarises the measured conversations of a point and their calls; nil when there are none.
    public static func compute(conversations: [ConversationRecord], records: [RequestRecord], window: MeasurementWindow,
                               gpus: Int) -> ConversationSummary? {
        let measured = conversations.filter { $0.phase == .measured }
        guard let kind = measured.first?.kind else { return nil }
        let byConversation = Dictionary(grouping: records.filter { $0.conversation != nil }, by: { $0.conversation! })
        var tokens = (input: [Double](), cached: [Double](), output: [Double](), reasoning: [Double]())
        var model: [Double] = []
        for c in measured {
            let calls = byConversation[c.id] ?? []
            tokens.input.append(Double(calls.reduce(0) { $0 + $1.inputTokens }))
            tokens.output.append(Double(calls.filter(\.delivered).reduce(0) { $0 + $1.outputTokens }))
            let cached = calls.compactMap { $0.usage?.cachedPromptTokens }
            if !cached.isEmpty { tokens.cached.append(Double(cached.reduce(0, +))) }
            let reasoning = calls.compactMap { $0.usage?.reasoningTokens }
            if !reasoning.isEmpty { tokens.reasoning.append(Double(reasoning.reduce(0, +))) }
            model.append(busySeconds(calls))
        }
        let completed = measured.filter(\.completed)
        let hours = window.seconds / 3600
        let done = completed.filter { $0.endNanoseconds.map(window.contains) ?? false }.count
        return ConversationSummary(
            kind: kind, measured: measured.count, completed: completed.count, stoppedByFailure: measured.filter(\.stoppedByFailure).count,
            cutShort: measured.filter(\.cutShort).count, truncated: measured.filter { $0.truncatedTokens > 0 }.count,
            durationSeconds: Distribution(completed.map { Double($0.endNanoseconds! &- $0.startNanoseconds) / 1e9 }),
            modelSeconds: Distribution(model), toolSeconds: Distribution(measured.map(\.toolSeconds)),
            thinkSeconds: Distribution(measured.map(\.thinkSeconds)), calls: Distribution(measured.map { Double($0.calls) }),
            inputTokens: Distribution(tokens.input), cachedTokens: Distribution(tokens.cached), outputTokens: Distribution(tokens.output),
            reasoningTokens: Distribution(tokens.reasoning), completedPerHour: hours > 0 ? Double(done) / hours : nil,
            completedPerHourPerGPU: hours > 0 ? Double(done) / hours / Double(max(gpus, 1)) : nil,
            turns: turns(records, measured: Set(measured.map(\.id))))
    }

    /// Seconds in which at least one of the calls was in flight (their intervals' union).
    static func busySeconds(_ calls: [RequestRecord]) -> Double {
        let spans = calls.compactMap { r in r.sentNanoseconds.flatMap { s in r.completedNanoseconds.map { (s, $0) } } }.sorted { $0.0 < $1.0 }
        var total: UInt64 = 0
        var current: (UInt64, UInt64)?
        for span in spans {
            if let c = current, span.0 <= c.1 {
                current = (c.0, max(c.1, span.1))
            } else {
                if let c = current { total += c.1 &- c.0 }
                current = span
            }
        }
        if let c = current { total += c.1 &- c.0 }
        return Double(total) / 1e9
    }

    /// Per call index of the measured conversations' calls that succeeded.
    static func turns(_ records: [RequestRecord], measured: Set<Int>) -> [TurnSummary] {
        let calls = records.filter { r in r.succeeded && r.conversation.map(measured.contains) == true }
        let byIndex = Dictionary(grouping: calls, by: { min($0.call ?? 0, TurnSummary.limit - 1) })
        return byIndex.keys.sorted().map { index in
            let group = byIndex[index]!
            let latencies = group.compactMap(RequestLatency.init)
            let cached = group.compactMap { $0.usage?.cachedPromptTokens }
            return TurnSummary(call: index, requests: group.count, ttftMs: Distribution(latencies.map(\.ttftMs)),
                               tpotMs: Distribution(latencies.compactMap(\.tpotMs)),
                               meanPromptTokens: Double(group.reduce(0) { $0 + $1.inputTokens }) / Double(group.count),
                               meanCachedTokens: cached.isEmpty ? nil : Double(cached.reduce(0, +)) / Double(cached.count))
        }
    }
}
