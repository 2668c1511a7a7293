import ArgumentParser
import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel
import TokenMeterReport

/// `tokenmeter validate`: predict every row of a measured CSV and report the errors.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Predict every row of a measured serving CSV and report MAPE overall, by group, and leave-one-system-out."
    )

    @Option(help: "CSV in the format of measured-hopper.csv.") var data: String
    @Option(help: "Extra GPU catalog folder.") var catalog: String?
    @Option(help: "Also list the N rows with the largest TPOT and TTFT errors.") var worst: Int = 0

    func run() async throws {
        let rows = try MeasuredData.read(path: data)
        let validator = Validator(models: try ModelCatalog.load(), hardware: try HardwareCatalog.load(extraDirectory: catalog))
        let report = validator.validate(rows)
        func n(_ v: Double) -> String { Format.number(v, 1) }
        print("\(rows.count) rows: \(report.predicted) predicted, \(rows.count - report.predicted) not predictable")
        var table: [[String]] = [["errors", "rows", "TTFT MAPE %", "TPOT MAPE %"]]
        table.append(["stated priors", String(report.prior.rows), n(report.prior.ttftMAPE), n(report.prior.tpotMAPE)])
        table.append(["calibrated in-sample", String(report.calibrated.rows), n(report.calibrated.ttftMAPE), n(report.calibrated.tpotMAPE)])
        for (system, summary) in report.leaveOneSystemOut.sorted(by: { $0.key < $1.key }) {
            table.append(["\(system), calibrated without it", String(summary.rows), n(summary.ttftMAPE), n(summary.tpotMAPE)])
        }
        print(TerminalTable.align(table))
        for dimension in ["system", "model", "backend", "mode"] {
            print("")
            var rows: [[String]] = [[dimension, "rows", "TTFT MAPE %", "TPOT MAPE %"]]
            for (name, s) in (report.breakdown[dimension] ?? [:]).sorted(by: { $0.key < $1.key }) {
                rows.append([name, String(s.rows), n(s.ttftMAPE), n(s.tpotMAPE)])
            }
            print(TerminalTable.align(rows))
        }
        print("")
        var fits: [[String]] = [["fitted group", "memory eff", "compute eff", "fixed ms", "per-layer µs", "prefill batching", "prefill in decode", "collective µs"]]
        for (group, e) in report.fitted.sorted(by: { $0.key < $1.key }) {
            fits.append([group, n(e.memory * 100) + "%", n(e.compute * 100) + "%", n(e.fixedMilliseconds), n(e.perLayerMicroseconds),
                         n(e.prefillBatching * 100) + "%", n(e.prefillInterference * 100) + "%", n(e.collectiveLatencyMicroseconds)])
        }
        print(TerminalTable.align(fits))
        if worst > 0 {
            for (name, error) in [("TPOT", { (p: RowPrediction) in abs(p.tpotMilliseconds / p.row.tpotMilliseconds - 1) }),
                                  ("TTFT", { (p: RowPrediction) in abs(p.ttftMilliseconds / p.row.ttftMilliseconds - 1) })] {
                print("\nlargest \(name) errors:")
                var rows: [[String]] = [["row", "c", "isl/osl", "layout", "TTFT pred/meas ms", "TPOT pred/meas ms"]]
                for p in report.predictions.sorted(by: { error($0) > error($1) }).prefix(worst) {
                    rows.append([p.row.id, String(p.row.concurrency), "\(p.row.inputLength)/\(p.row.outputLength)", p.row.parallelism.description,
                                 "\(n(p.ttftMilliseconds)) / \(n(p.row.ttftMilliseconds))", "\(n(p.tpotMilliseconds)) / \(n(p.row.tpotMilliseconds))"])
                }
                print(TerminalTable.align(rows))
            }
        }
        if !report.unpredictable.isEmpty {
            print("\nnot predictable (counted, not dropped):")
            for (reason, ids) in report.unpredictable.sorted(by: { $0.value.count > $1.value.count }) {
                print("  \(ids.count) rows: \(reason) — e.g. \(ids.prefix(3).joined(separator: ", "))")
            }
        }
    }
}
