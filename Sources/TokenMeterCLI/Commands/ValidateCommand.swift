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

    @OptionGroup var data: DataOption
    @OptionGroup var catalog: CatalogOption
    @Option(help: "Also list the N rows with the largest TPOT and TTFT errors.") var worst: Int = 0

    func run() async throws {
        guard let path = data.data else { throw ConfigError(field: "data", message: "validate needs --data measured.csv") }
        let rows = try MeasuredData.read(path: path)
        let validator = Validator(models: try ModelCatalog.load(), hardware: try HardwareCatalog.load(extraDirectory: catalog.catalog))
        print(ValidationText.render(validator.validate(rows), rows: rows.count, worst: worst))
    }
}
