import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel
import TokenMeterReport
import TokenMeterResults

/// `tokenmeter calibrate`: fit the model's efficiencies for one (hardware, engine, precision) on a measured run or CSV rows,
/// and keep them in the calibration store with their provenance and error band.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Fit performance-model efficiencies on a measured run (--result) or CSV rows (--data) and store them.",
        discussion: """
            The fit is stored in $TOKENMETER_CALIBRATION_DIR (default ~/.config/tokenmeter/calibration) as
            <hardware>-<engine>-<precision>.json; tokenmeter predict uses it for that GPU and transfers it to GPUs of the same
            family. --list shows what is stored.
            """
    )

    @Option(help: "A tokenmeter bench result.json measured on --hardware.") var result: String?
    @Option(help: "A CSV in the format of measured-hopper.csv; its rows of --hardware, --engine and --precision are fitted.") var data: String?
    @Flag(help: "List the stored calibrations.") var list = false
    @Option(help: "Catalog GPU the run was measured on.") var hardware: String?
    @Option(help: "Engine that served it (vllm, sglang, trtllm, llama.cpp, ...).") var engine: String?
    @Option(help: "Weight precision: bf16, fp8, fp4 or int4.") var precision: String?
    @Option(help: "Model (catalog id or config.json) when the result's model name is not in the catalog.") var model: String?
    @Option(help: "GPUs of the replica that served the run (--result).") var gpus: Int = 1
    @Option(help: "Its tensor parallel degree.") var tp: Int?
    @Option(help: "Its expert parallel degree.") var ep: Int?
    @Option(help: "Its attention data parallel degree.") var dp: Int = 1
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let store = CalibrationStore.standard()
        if list {
            let all = try store.all()
            guard !all.isEmpty else {
                print("no calibrations in \(store.directory); fit one with tokenmeter calibrate --result run.json --hardware H --engine E --precision P")
                return
            }
            var rows: [[String]] = [["hardware", "family", "engine", "precision", "points", "memory eff", "compute eff", "fixed ms", "TPOT p90 err", "source"]]
            for c in all {
                rows.append([c.hardware, c.family, c.engine, c.precision.rawValue, String(c.points), pct(c.efficiency.memory), pct(c.efficiency.compute),
                             Format.number(c.efficiency.fixedMilliseconds, 2), c.band.map { "±" + Format.number($0.tpotP90Percent, 0) + "%" } ?? "-",
                             c.source])
            }
            print("calibrations in \(store.directory):")
            print(TerminalTable.align(rows))
            return
        }
        guard (result == nil) != (data == nil) else {
            throw ConfigError(field: "result", message: "give one of --result run.json or --data rows.csv (or --list)")
        }
        guard let hardware, let engine, let precision else {
            throw ConfigError(field: "hardware", message: "calibration needs --hardware, --engine and --precision: what the measurement ran on")
        }
        let catalog = try HardwareCatalog.load()
        let models = try ModelCatalog.load()
        let gpu = try catalog.gpu(hardware)
        let spec = try HardwareSpec(gpu)
        let precisionValue = try Precision(parsing: precision)
        let validator = Validator(models: models, hardware: catalog)
        var rows: [(MeasuredRow, RowSetup)] = []
        var source: String
        if let result {
            let run: RunResult
            do { run = try RunResult.read(path: result) } catch {
                throw ConfigError(field: "result", message: "cannot read \(result): \(error)")
            }
            let name = model ?? run.provenance.model
            let architecture: ModelArchitecture
            do throws(ConfigError) { architecture = try PredictSetup.architecture(name, models) } catch {
                throw ConfigError(field: "model", message: "the run's model '\(name)' is not in the catalog; pass --model <catalog id or config.json> (\(error.message))")
            }
            let layout = try PredictSetup.layout(architecture, gpus: gpus, tp: tp, ep: ep, dp: dp, flag: "")
            let deployment = Deployment(model: architecture, hardware: spec, precision: precisionValue, parallelism: layout)
            for point in run.points {
                let m = point.metrics
                guard m.requestsSucceeded > 0, let ttft = m.ttftMs?.p50, let tpot = m.tpotMs?.p50, ttft > 0, tpot > 0 else { continue }
                let concurrency = point.concurrency ?? max(1, Int(m.meanConcurrency.rounded()))
                rows.append((MeasuredRow(
                    id: "\(point.label)", modelPath: architecture.id, system: gpu.id, backend: engine, mode: "agg", precision: precisionValue.rawValue,
                    inputLength: max(1, Int(m.meanInputTokens.rounded())), outputLength: max(1, Int(m.meanOutputTokens.rounded())),
                    concurrency: concurrency, parallelism: layout, ttftMilliseconds: ttft, tpotMilliseconds: tpot), .aggregated(deployment)))
            }
            source = URL(fileURLWithPath: result).lastPathComponent
        } else {
            let path = data!
            for row in try MeasuredData.read(path: path) where row.backend == engine && (try? Precision(parsing: row.precision)) == precisionValue {
                guard (try? catalog.gpu(row.system.replacingOccurrences(of: "_", with: "-")))?.id == gpu.id,
                      let setup = try? validator.setup(row).get() else { continue }
                rows.append((row, setup))
            }
            source = URL(fileURLWithPath: path).lastPathComponent
        }
        guard rows.count >= 2 else {
            throw ConfigError(field: result == nil ? "data" : "result",
                              message: "\(rows.count) usable point(s) for \(gpu.id) \(engine) \(precisionValue.rawValue); calibration needs at least 2 "
                                  + "with successful requests (a sweep over several concurrencies is best)")
        }
        let efficiency = Validator.calibrate(rows, provenance: "measured")
        let predictions = rows.map { Validator.predict($0.0, $0.1, efficiency) }
        let calibration = Calibration(
            hardware: gpu.id, family: spec.family, engine: engine, precision: precisionValue, efficiency: efficiency, band: ErrorBand(predictions),
            source: source, points: rows.count, fittedAt: ISO8601DateFormatter().string(from: Date()))
        let path = try store.save(calibration)
        let prior = ErrorSummary(rows.map { Validator.predict($0.0, $0.1, .prior) })
        let fitted = ErrorSummary(predictions)
        if json {
            print(JSONValue.object([
                ("path", .string(path)), ("points", .number(Double(rows.count))), ("prior_ttft_mape_pct", .number(prior.ttftMAPE)),
                ("prior_tpot_mape_pct", .number(prior.tpotMAPE)), ("ttft_mape_pct", .number(fitted.ttftMAPE)), ("tpot_mape_pct", .number(fitted.tpotMAPE)),
                ("efficiency", PredictText.efficiencyJSON(ChosenEfficiency(efficiency: efficiency, provenance: "measured", description: source,
                                                                           band: calibration.band))),
            ]).serialized)
            return
        }
        let e = efficiency
        print("fitted \(rows.count) points of \(source) on \(gpu.id) (\(spec.family)), \(engine), \(precisionValue.rawValue)")
        print(TerminalTable.align([
            ["memory eff", "compute eff", "fixed ms", "per-layer µs", "prefill batching", "prefill in decode", "collective µs"],
            [pct(e.memory), pct(e.compute), Format.number(e.fixedMilliseconds, 2), Format.number(e.perLayerMicroseconds, 1),
             pct(e.prefillBatching), pct(e.prefillInterference), Format.number(e.collectiveLatencyMicroseconds, 1)],
        ]))
        print("MAPE TTFT / TPOT on these points: priors \(Format.number(prior.ttftMAPE, 1))% / \(Format.number(prior.tpotMAPE, 1))%, "
              + "fitted \(Format.number(fitted.ttftMAPE, 1))% / \(Format.number(fitted.tpotMAPE, 1))%")
        if rows.count < 6 { print("caution: \(rows.count) points fit seven parameters; sweep more concurrencies for a trustworthy fit") }
        print("saved \(path); predict uses it on \(gpu.id) and transfers it to other \(spec.family) GPUs")
    }

    func pct(_ v: Double) -> String { Format.number(v * 100, 0) + "%" }
}
