import TokenMeterCore
import TokenMeterResults

/// A finished bench run as text for a terminal: the table of points, and what the server, the tokens and the GPUs said.
public enum BenchText {
    /// The run's header line, its table, and one line per point for the server's metrics, the token counts and the energy.
    public static func render(_ result: RunResult) -> String {
        let p = result.provenance
        var out = ["\(p.model) @ \(p.targetURL) [\(p.targetKind)], \(p.gpus) GPU(s), prompt lengths: \(p.promptLengthSource)",
                   TerminalTable.render(result)]
        out += result.points.flatMap(ConversationText.lines)
        out += result.points.flatMap(DialectText.lines)
        out += result.points.compactMap(serverLine)
        out += result.points.flatMap(tokenLines)
        out += result.points.compactMap(energyLine)
        out += SearchText.lines(result)
        out += PriceText.lines(result)
        return out.joined(separator: "\n")
    }

    static func serverLine(_ point: PointResult) -> String? {
        guard let s = point.serverMetrics else { return nil }
        let tokens = s.serverGenerationTokens.map { "server counted \(Int($0)) generated tokens (client \(s.clientOutputTokens))" } ?? "no token counters"
        let gauges = s.scrapes == 0
            ? "no scrape fell inside the window (shorten --scrape-interval)"
            : "running mean \(Format.number(s.runningMean, 1)) max \(Format.number(s.runningMax, 1)), waiting max \(Format.number(s.waitingMax, 1)), "
                + "KV cache max \(Format.number(s.kvCacheUsageMax.map { $0 * 100 }, 1))%"
        return "\(point.label) server: \(gauges), \(tokens)"
            + (s.prefixCacheHitRate.map { ", prefix-cache hit rate \(Format.number($0 * 100, 1))%" } ?? "")
            + (s.specDecodeAcceptance.map { ", spec-decode acceptance \(Format.number($0 * 100, 1))%" } ?? "")
    }

    static func tokenLines(_ point: PointResult) -> [String] {
        guard let t = point.tokens, t.requests > 0 else { return [] }
        func three(_ usage: Int, _ local: Int?, _ server: Double?) -> String {
            "usage \(usage)" + (local.map { ", local \($0)" } ?? "") + (server.map { ", server \(Int($0))" } ?? "")
        }
        let differ = t.outputMismatches + t.promptMismatches > 0
            ? " — \(t.outputMismatches) output and \(t.promptMismatches) prompt counts differ" : ""
        return ["\(point.label) tokens over \(t.requests) requests: output \(three(t.usageOutputTokens, t.localOutputTokens, t.serverOutputTokens)); "
                + "prompt \(three(t.usagePromptTokens, t.localPromptTokens, t.serverPromptTokens))" + differ]
            + t.findings.prefix(1).map { "\(point.label) tokens: \($0)" }
            + (t.findings.count > 1 ? ["\(point.label) tokens: \(t.findings.count - 1) more notes in result.json"] : [])
    }

    static func energyLine(_ point: PointResult) -> String? {
        guard let e = point.energy else { return nil }
        let m = e.measurement
        return "\(point.label) energy (gpu-board-measured, \(m.source), \(m.method ?? "trapezoid")): \(Format.number(m.meanWatts, 0)) W over "
            + "\(m.gpus) GPUs, \(Format.number(e.joulesPerToken, 3)) J/token, \(Format.number(e.joulesPerOutputToken, 3)) J/output token"
            + (m.valid ? "" : " (NOT valid: \(m.problems.joined(separator: "; ")))")
    }
}
