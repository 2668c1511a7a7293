import TokenMeterCore
import TokenMeterResults

/// A point's conversations and the trace it replayed, as text: per conversation, then per turn index.
public enum ConversationText {
    /// Lines for a point's sessions or tasks and for its trace (none when it has neither).
    public static func lines(_ point: PointResult) -> [String] {
        var out: [String] = []
        if let c = point.conversations { out += conversation(point.label, c) }
        if let t = point.trace { out.append(trace(point.label, t)) }
        return out
    }

    /// Lines for a point's sessions or tasks: per conversation, then a table by call index.
    public static func conversation(_ label: String, _ c: ConversationSummary) -> [String] {
        func median(_ d: Distribution?, _ decimals: Int = 1) -> String { Format.number(d?.p50, decimals) }
        let rate = c.completedPerHour.map { ", \(Format.number($0, 1)) per hour" + (c.completedPerHourPerGPU.map { " (\(Format.number($0, 1)) per GPU)" } ?? "") }
        var out = ["\(label) \(c.kind)s: \(c.completed) of \(c.measured) completed\(rate ?? ""); median \(median(c.durationSeconds)) s "
                   + "(\(median(c.modelSeconds)) s in the model, \(median(c.toolSeconds)) s in tools, \(median(c.thinkSeconds)) s thinking), "
                   + "\(median(c.calls, 0)) calls; tokens per \(c.kind): in \(median(c.inputTokens, 0)), cached \(median(c.cachedTokens, 0)), "
                   + "out \(median(c.outputTokens, 0))" + (c.reasoningTokens.map { ", reasoning \(Format.number($0.p50, 0))" } ?? "")]
        guard !c.turns.isEmpty else { return out }
        var rows = [["call", "n", "TTFT p50 ms", "TTFT p90 ms", "TPOT p50 ms", "prompt tokens", "cached", "cached share"]]
        for t in shown(c.turns) {
            rows.append([String(t.call) + (t.call == TurnSummary.limit - 1 ? "+" : ""), String(t.requests), Format.number(t.ttftMs?.p50, 1),
                         Format.number(t.ttftMs?.p90, 1), Format.number(t.tpotMs?.p50, 2), Format.number(t.meanPromptTokens, 0),
                         Format.number(t.meanCachedTokens, 0), Format.percent(t.cachedShare, 1)])
        }
        out.append("\(label) by call index:")
        out.append(TerminalTable.align(rows))
        return out
    }

    /// The first eight indices, then every eighth, and the last.
    static func shown(_ turns: [TurnSummary]) -> [TurnSummary] {
        turns.enumerated().filter { i, t in i < 8 || t.call % 8 == 0 || i == turns.count - 1 }.map(\.element)
    }

    static func trace(_ label: String, _ t: TraceSummary) -> String {
        let what = t.conversations.map { "\(t.requests) requests in \($0) conversations" } ?? "\(t.requests) requests"
        let speed = t.speedup.map { "x\(Format.number($0, 2))" } ?? "as fast as allowed"
        var reuse: [String] = []
        if let r = t.tokenReuse {
            reuse.append("the trace's own prefix reuse \(Format.percent(r, 1)) of input tokens (blocks \(Format.percent(t.blockReuse, 1)), "
                         + "per request \(Format.percent(t.requestReuse, 1)); \(t.uniqueBlocks) distinct \(t.blockSize)-token blocks)")
        }
        if let r = t.recordedCachedShare { reuse.append("the trace recorded \(Format.percent(r, 1)) of input tokens as cached") }
        reuse.append(t.serverCachedShare.map { "the server reported \(Format.percent($0, 1)) cached" } ?? "the server reported no cached tokens")
        return "\(label) trace \(t.file) (\(t.format)): \(what) at \(speed); " + reuse.joined(separator: "; ")
            + (t.notes.isEmpty ? "" : " (\(t.notes.joined(separator: "; ")))")
    }
}
