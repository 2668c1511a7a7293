import TokenMeterCore
import TokenMeterResults

/// Renders sweep points as an aligned plain-text table for a terminal.
public enum TerminalTable {
    /// A table of the key metrics, one row per point.
    public static func render(points: [(label: String, metrics: PointMetrics)]) -> String {
        let hasGoodput = points.contains { $0.metrics.goodput != nil }
        var header = ["point", "ok/fail", "TTFT p50/p99 ms", "TPOT p50/p99 ms", "ITL p50 ms", "E2E p50 ms",
                      "out tok/s", "out tok/s/GPU", "tok/s/user", "req/s", "lag p99 ms"]
        if hasGoodput { header.append("goodput req/s (SLO)") }
        var rows: [[String]] = [header]
        for (label, m) in points {
            var row = [
                label, "\(m.requestsSucceeded)/\(m.requestsFailed)",
                pair(m.ttftMs), pair(m.tpotMs), single(m.itlMs?.p50), single(m.e2eMs?.p50),
                Format.number(m.outputTokensPerSecond, 1), Format.number(m.outputTokensPerSecondPerGPU, 1),
                m.interactivityMedian.map { Format.number($0, 1) } ?? "-", Format.number(m.requestsPerSecond, 2), single(m.queueMs?.p99, 2),
            ]
            if hasGoodput {
                row.append(m.goodput.map { "\(Format.number($0.requestsPerSecond, 2)) (\($0.passed ? "pass" : "FAIL"))" } ?? "-")
            }
            rows.append(row)
        }
        return align(rows)
    }

    /// Renders a run result's points.
    public static func render(_ result: RunResult) -> String {
        render(points: result.points.map { ($0.label, $0.metrics) })
    }

    static func pair(_ d: Distribution?) -> String {
        guard let d else { return "-" }
        return "\(Format.number(d.p50, 1)) / \(Format.number(d.p99, 1))"
    }

    static func single(_ v: Double?, _ decimals: Int = 1) -> String { v.map { Format.number($0, decimals) } ?? "-" }

    /// Aligns rows into columns under a rule after the header: the first `leftColumns` columns left, the rest right.
    public static func align(_ rows: [[String]], leftColumns: Int = 1) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var lines: [String] = []
        for (r, row) in rows.enumerated() {
            let cells = row.enumerated().map { i, cell in
                i < leftColumns ? cell.padding(to: widths[i]) : String(repeating: " ", count: widths[i] - cell.count) + cell
            }
            lines.append(cells.joined(separator: "  "))
            if r == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
