import Foundation
import TokenMeterModel

/// A validation of the performance model against measured rows, as text: the errors overall, by group and leaving each
/// system out, the fitted efficiencies, the worst rows, and what could not be predicted.
public enum ValidationText {
    /// The report; `rows` is how many rows were read, `worst` how many of the largest errors to list.
    public static func render(_ report: Validator.Report, rows: Int, worst: Int) -> String {
        let refused = rows - report.predicted - report.duplicates
        var out = ["\(rows) rows: \(report.duplicates) duplicates collapsed, \(report.predicted) predicted, \(refused) not predictable "
                   + "(\(Format.percent(Double(report.predicted) / Double(max(1, rows - report.duplicates)), 1)) of distinct rows predicted)", errorTable(report)]
        for dimension in Validator.breakdownDimensions {
            var table: [[String]] = [[dimension, "rows", "TTFT MAPE %", "TPOT MAPE %"]]
            let numeric = dimension == "isl/osl" || dimension == "concurrency"
            for (name, s) in (report.breakdown[dimension] ?? [:]).sorted(by: { numeric ? numericOrder($0.key, $1.key) : $0.key < $1.key }) {
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

    /// Labels in the order of the numbers in them (`1024/128` before `1024/1024`, `5–16` before `17–64`), else by name.
    static func numericOrder(_ a: String, _ b: String) -> Bool {
        func numbers(_ s: String) -> [Int] { s.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) } }
        let (x, y) = (numbers(a), numbers(b))
        guard !x.isEmpty, !y.isEmpty, x != y else { return a < b }
        return x.lexicographicallyPrecedes(y)
    }

    static func errorTable(_ report: Validator.Report) -> String {
        var table: [[String]] = [["errors", "rows", "TTFT MAPE %", "TPOT MAPE %"]]
        table.append(["stated priors (formula)", String(report.prior.rows), oneDecimal(report.prior.ttftMAPE), oneDecimal(report.prior.tpotMAPE)])
        table.append(["calibrated in-sample", String(report.calibrated.rows), oneDecimal(report.calibrated.ttftMAPE), oneDecimal(report.calibrated.tpotMAPE)])
        if let other = report.fittedElsewhere {
            table.append(["calibrated on the --fit file", String(other.rows), oneDecimal(other.ttftMAPE), oneDecimal(other.tpotMAPE)])
        }
        for (system, summary) in report.leaveOneSystemOut.sorted(by: { $0.key < $1.key }) {
            table.append(["\(system), calibrated without it", String(summary.rows), oneDecimal(summary.ttftMAPE), oneDecimal(summary.tpotMAPE)])
        }
        let noise = report.noiseFloor
        table.append(["noise: repeats around their median", String(noise.rows), oneDecimal(noise.ttftMAPE), oneDecimal(noise.tpotMAPE)])
        var out = TerminalTable.align(table)
        out += noise.rows == 0 ? "\n(no configuration was measured twice: the data's own noise is unknown)"
            : "\n(noise: rows of configurations measured more than once, each against its configuration's median — a floor for any model)"
        return report.leaveOneSystemOut.isEmpty ? out + "\n(leave-one-system-out needs rows of two systems or more)" : out
    }

    static func fitTable(_ report: Validator.Report) -> String {
        var fits: [[String]] = [["fitted per engine"] + EfficiencyText.headings]
        for (group, e) in report.fitted.sorted(by: { $0.key < $1.key }) { fits.append([group] + EfficiencyText.cells(e)) }
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

extension ValidationText {
    /// Every predicted row as CSV: the row's configuration, what was measured, the in-sample prediction and the prediction
    /// fitted without the row's system (leave-one-system-out), with the assumption the row was predicted under.
    public static func predictionsCSV(_ report: Validator.Report) -> String {
        func ms(_ v: Double) -> String { String(format: "%.4g", v) }
        var lines = ["id,system,model,engine,mode,precision,isl,osl,concurrency,layout,assumption,ttft_ms,tpot_ms,"
                     + "ttft_predicted_ms,tpot_predicted_ms,ttft_held_out_ms,tpot_held_out_ms"]
        for (i, p) in report.predictions.enumerated() {
            let r = p.row
            let held: [String] = i < report.heldOut.count ? [ms(report.heldOut[i].ttftMilliseconds), ms(report.heldOut[i].tpotMilliseconds)] : ["", ""]
            var layout = r.parallelism.description
            if let d = r.disaggregated { layout = "\(d.prefillWorkers)x(\(d.prefill.description)) + \(d.decodeWorkers)x(\(d.decode.description))" }
            let setup: [String] = [r.id, r.system, r.modelPath, r.backend, r.mode, r.precision, String(r.inputLength), String(r.outputLength),
                                   String(r.concurrency), layout, r.assumption ?? ""]
            let figures: [String] = [ms(r.ttftMilliseconds), ms(r.tpotMilliseconds), ms(p.ttftMilliseconds), ms(p.tpotMilliseconds)]
            let fields = setup + figures + held
            lines.append(fields.map(Exporter.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
