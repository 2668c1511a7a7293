import TokenMeterModel

/// A validation of the performance model against measured rows, as text: the errors overall, by group and leaving each
/// system out, the fitted efficiencies, the worst rows, and what could not be predicted.
public enum ValidationText {
    /// The report; `rows` is how many rows were read, `worst` how many of the largest errors to list.
    public static func render(_ report: Validator.Report, rows: Int, worst: Int) -> String {
        var out = ["\(rows) rows: \(report.predicted) predicted, \(rows - report.predicted) not predictable", errorTable(report)]
        for dimension in ["system", "model", "backend", "mode"] {
            var table: [[String]] = [[dimension, "rows", "TTFT MAPE %", "TPOT MAPE %"]]
            for (name, s) in (report.breakdown[dimension] ?? [:]).sorted(by: { $0.key < $1.key }) {
                table.append([name, String(s.rows), oneDecimal(s.ttftMAPE), oneDecimal(s.tpotMAPE)])
            }
            out += ["", TerminalTable.align(table)]
        }
        out += ["", fitTable(report)]
        if worst > 0 {
            out += worstRows(report, "TPOT", count: worst) { abs($0.tpotMilliseconds / $0.row.tpotMilliseconds - 1) }
            out += worstRows(report, "TTFT", count: worst) { abs($0.ttftMilliseconds / $0.row.ttftMilliseconds - 1) }
        }
        if !report.unpredictable.isEmpty {
            out.append("\nnot predictable (counted, not dropped):")
            for (reason, ids) in report.unpredictable.sorted(by: { $0.value.count > $1.value.count }) {
                out.append("  \(ids.count) rows: \(reason) — e.g. \(ids.prefix(3).joined(separator: ", "))")
            }
        }
        return out.joined(separator: "\n")
    }

    static func oneDecimal(_ v: Double) -> String { Format.number(v, 1) }

    static func errorTable(_ report: Validator.Report) -> String {
        var table: [[String]] = [["errors", "rows", "TTFT MAPE %", "TPOT MAPE %"]]
        table.append(["stated priors", String(report.prior.rows), oneDecimal(report.prior.ttftMAPE), oneDecimal(report.prior.tpotMAPE)])
        table.append(["calibrated in-sample", String(report.calibrated.rows), oneDecimal(report.calibrated.ttftMAPE), oneDecimal(report.calibrated.tpotMAPE)])
        for (system, summary) in report.leaveOneSystemOut.sorted(by: { $0.key < $1.key }) {
            table.append(["\(system), calibrated without it", String(summary.rows), oneDecimal(summary.ttftMAPE), oneDecimal(summary.tpotMAPE)])
        }
        return TerminalTable.align(table)
    }

    static func fitTable(_ report: Validator.Report) -> String {
        var fits: [[String]] = [["fitted group", "memory eff", "compute eff", "fixed ms", "per-layer µs", "prefill batching", "prefill in decode",
                                 "collective µs"]]
        for (group, e) in report.fitted.sorted(by: { $0.key < $1.key }) {
            fits.append([group, Format.percent(e.memory, 1), Format.percent(e.compute, 1), oneDecimal(e.fixedMilliseconds), oneDecimal(e.perLayerMicroseconds),
                         Format.percent(e.prefillBatching, 1), Format.percent(e.prefillInterference, 1), oneDecimal(e.collectiveLatencyMicroseconds)])
        }
        return TerminalTable.align(fits)
    }

    static func worstRows(_ report: Validator.Report, _ name: String, count: Int, error: (RowPrediction) -> Double) -> [String] {
        var rows: [[String]] = [["row", "c", "isl/osl", "layout", "TTFT pred/meas ms", "TPOT pred/meas ms"]]
        for p in report.predictions.sorted(by: { error($0) > error($1) }).prefix(count) {
            rows.append([p.row.id, String(p.row.concurrency), "\(p.row.inputLength)/\(p.row.outputLength)", p.row.parallelism.description,
                         "\(oneDecimal(p.ttftMilliseconds)) / \(oneDecimal(p.row.ttftMilliseconds))", "\(oneDecimal(p.tpotMilliseconds)) / \(oneDecimal(p.row.tpotMilliseconds))"])
        }
        return ["\nlargest \(name) errors:", TerminalTable.align(rows)]
    }
}
