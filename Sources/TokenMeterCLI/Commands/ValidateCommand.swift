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
        abstract: "Predict every row of a measured serving CSV and report MAPE overall, by group, leave-one-system-out, and fitted on another file."
    )

    @OptionGroup var data: DataOption
    @OptionGroup var catalog: CatalogOption
    @Option(help: "Also list the N rows with the largest TPOT and TTFT errors.") var worst: Int = 0
    @Flag(help: "Predict aggregated rows with the steady-state formula instead of running their closed loop through the engine scheduler on a virtual clock.")
    var formula = false
    @Option(help: "Fit on this measured CSV and score --data with that fit (the transfer to data the fit never saw).") var fit: String?
    @Option(help: "Write every predicted row to this CSV: measured, in-sample and held-out (leave-one-system-out) TTFT and TPOT.")
    var predictions: String?

    func run() async throws {
        guard let path = data.data else { throw ConfigError(field: "data", message: "validate needs --data measured.csv") }
        let rows = try MeasuredData.read(path: path)
        let validator = Validator(models: try ModelCatalog.load(), hardware: try HardwareCatalog.load(extraDirectory: catalog.catalog))
        let fitRows = try fit.map { path throws(ConfigError) in try MeasuredData.read(path: path) }
        let report = validator.validate(rows, fitRows: fitRows, simulate: !formula)
        print(ValidationText.render(report, rows: rows.count, worst: worst))
        if let predictions {
            do { try ValidationText.predictionsCSV(report).write(toFile: predictions, atomically: true, encoding: .utf8) } catch {
                throw ConfigError(field: "predictions", message: "cannot write \(predictions): \(error.localizedDescription)")
            }
        }
    }
}
