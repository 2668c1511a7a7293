import TokenMeterCore
import TokenMeterResults

/// What a point's records say beyond latency and throughput, whatever the dialect: reasoning and answer tokens apart with
/// the time to the first answer token, cache reads and writes, failures by class, retries, and an answer without output
/// tokens (embeddings).
enum DialectText {
    static func lines(_ point: PointResult) -> [String] {
        let m = point.metrics
        var out: [String] = []
        func p50p99(_ d: Distribution?) -> String { "\(Format.number(d?.p50, 1)) / \(Format.number(d?.p99, 1)) ms" }
        if let reasoning = m.reasoningTokens, reasoning > 0, let output = m.outputTokensSucceeded, output > 0 {
            let answer = max(0, output - reasoning)
            out.append("\(point.label) output: \(reasoning) reasoning + \(answer) answer tokens (\(Format.percent(Double(reasoning) / Double(output))) "
                + "reasoning); TTFT p50/p99 \(p50p99(m.ttftMs)), first answer token (TTFO) \(p50p99(m.ttfoMs))")
        }
        if let written = m.cacheWriteTokens, written > 0 {
            out.append("\(point.label) prompt cache: \(m.cachedPromptTokens ?? 0) tokens read, \(written) written (billed at the write rate)")
        }
        if let lying = m.usageExceedsStreamRequests {
            out.append("\(point.label) usage: \(lying) requests claimed more output than their stream carried; each counts what arrived, and "
                + "\(m.billedNotDeliveredTokens ?? 0) tokens were billed but not delivered (a price card bills the usage)")
        }
        if let understated = m.usageBelowStreamRequests {
            out.append("\(point.label) usage: \(understated) requests claimed less output than their stream carried; each counts what arrived, "
                + "and \(m.deliveredNotBilledTokens ?? 0) tokens were delivered but not billed")
        }
        if m.requestsFailed > 0 {
            let kinds = m.errorsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            out.append("\(point.label) failures: \(kinds)")
        }
        if let retried = m.retriedRequests {
            out.append("\(point.label) retries: \(retried) requests sent again (\(m.retryAttempts ?? 0) extra attempts); TTFT from the first send "
                + "p50/p99 \(p50p99(m.ttftFromFirstSendMs)), from the last \(p50p99(m.ttftMs))")
        }
        if m.requestsSucceeded > 0, m.outputTokensSucceeded == 0 {
            out.append("\(point.label) answers without output tokens (embeddings): \(Format.number(m.requestsPerSecond, 1)) req/s, "
                + "\(Format.number(m.inputTokensPerSecond, 0)) input tok/s, latency p50/p99 \(p50p99(m.e2eMs))")
        }
        return out
    }
}
