import ArgumentParser
import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel
import TokenMeterReport
import TokenMeterResults

/// `tokenmeter calibrate`: fit the model's efficiencies for one (hardware, engine, precision) on a measured run or CSV rows,
/// or per engine over every GPU and precision of a CSV (as `validate` fits), and keep them in the calibration store with their
/// provenance and error band.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Fit performance-model efficiencies on a measured run (--result) or CSV rows (--data) and store them.",
        discussion: """
            The fit is stored in $TOKENMETER_CALIBRATION_DIR (default ~/.config/tokenmeter/calibration) as
            <hardware>-<engine>-<precision>.json; tokenmeter predict uses it for that GPU and transfers it to GPUs of the same
            family. --data without --gpu and --precision fits each engine (or the --engine) over the rows of every GPU and
            precision in the file, as validate does, and stores <engine>-every-gpu.json: predict uses it for that engine on any
            GPU without a fit of its own, by the datasheet terms. --list shows what is stored.
            """
    )

    @OptionGroup var results: ResultOption
    @OptionGroup var data: DataOption
    @Flag(help: "List the stored calibrations.") var list = false
    @OptionGroup var gpu: GPUOption
    @OptionGroup var engine: EngineOption
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var model: ModelOption
    @OptionGroup var gpus: GPUCountOption
    @OptionGroup var layout: LayoutOptions
    @OptionGroup var output: OutputOptions

    /// What a fit is for: the GPU, engine and precision the measurement ran on.
    struct Target {
        var gpu: GPUEntry
        var spec: HardwareSpec
        var engine: String
        var precision: Precision
    }

    func run() async throws {
        let store = CalibrationStore.standard()
        if list { return try printList(store) }
        guard (results.result.isEmpty) != (data.data == nil), results.result.count <= 1 else {
            throw ConfigError(field: "result", message: "give one of --result run.json or --data rows.csv (or --list)")
        }
        if let path = data.data, gpu.gpu == nil, precision.precision == nil { return try fitPerEngine(path, store: store) }
        guard let hardware = gpu.gpu, let engine = engine.engine, let precision = try precision.resolve(default: nil) else {
            throw ConfigError(field: "gpu", message: "calibration needs --gpu, --engine and --precision: what the measurement ran on")
        }
        let catalog = try HardwareCatalog.load()
        let models = try ModelCatalog.load()
        let entry = try catalog.gpu(hardware)
        let target = Target(gpu: entry, spec: try HardwareSpec(entry), engine: engine, precision: precision)
        let rows: [(MeasuredRow, RowSetup)]
        let source: String
        if let path = results.result.first {
            (rows, source) = (try self.rows(fromResult: path, target, models), path)
        } else {
            (rows, source) = (MeasuredData.rows(try MeasuredData.read(path: data.data!), gpu: entry, engine: engine, precision: precision,
                                                validator: Validator(models: models, hardware: catalog)), data.data!)
        }
        guard rows.count >= 2 else {
            throw ConfigError(field: results.result.isEmpty ? "data" : "result",
                              message: "\(rows.count) usable point(s) for \(entry.id) \(engine) \(precision.rawValue); calibration needs at least 2 "
                                  + "with successful requests (a sweep over several concurrencies is best)")
        }
        try save(rows, efficiency: Validator.fitSimulation(rows, Validator.calibrate(rows, provenance: "measured")), source: URL(fileURLWithPath: source).lastPathComponent,
                 store: store, hardware: target.gpu.id, family: target.spec.family, engine: target.engine, precision: target.precision)
    }

    /// One measured row per point of a result with successful requests, on the deployment the options describe.
    func rows(fromResult path: String, _ target: Target, _ models: ModelCatalog) throws -> [(MeasuredRow, RowSetup)] {
        let run: RunResult
        do { run = try RunResult.read(path: path) } catch { throw ConfigError(field: "result", message: "cannot read \(path): \(error)") }
        let name = model.model ?? run.provenance.model
        let architecture: ModelArchitecture
        do throws(ConfigError) { architecture = try models.architecture(name) } catch {
            throw ConfigError(field: "model", message: "the run's model '\(name)' is not in the catalog; pass --model <catalog id or config.json> (\(error.message))")
        }
        let layout = try Parallelism.resolve(for: architecture, gpus: try gpus.count(), tp: self.layout.tp, ep: self.layout.ep, dp: self.layout.dp)
        let deployment = Deployment(model: architecture, hardware: target.spec, precision: target.precision, parallelism: layout)
        return run.points.compactMap { point in
            let m = point.metrics
            guard m.requestsSucceeded > 0, let ttft = m.ttftMs?.p50, let tpot = m.tpotMs?.p50, ttft > 0, tpot > 0 else { return nil }
            let row = MeasuredRow(
                id: point.label, modelPath: architecture.id, system: target.gpu.id, backend: target.engine, mode: "agg", precision: target.precision.rawValue,
                inputLength: max(1, Int(m.meanInputTokens.rounded())), outputLength: max(1, Int(m.meanOutputTokens.rounded())),
                concurrency: point.concurrency ?? max(1, Int(m.meanConcurrency.rounded())), parallelism: layout, ttftMilliseconds: ttft,
                tpotMilliseconds: tpot)
            return (row, .aggregated(deployment))
        }
    }

    /// Stores a fit and reports its errors on its rows, before (the priors) and after.
    func save(_ rows: [(MeasuredRow, RowSetup)], efficiency: Efficiency, heldOutBand: ErrorBand? = nil, source: String, store: CalibrationStore,
              hardware: String, family: String, engine: String, precision: Precision?) throws {
        let predictions = rows.map { Validator.predict($0.0, $0.1, efficiency) }
        let calibration = Calibration(
            hardware: hardware, family: family, engine: engine, precision: precision, efficiency: efficiency,
            band: ErrorBand(predictions), heldOutBand: heldOutBand, source: source, points: rows.count,
            fittedAt: ISO8601DateFormatter().string(from: Date()))
        let path = try store.save(calibration)
        let prior = ErrorSummary(rows.map { Validator.predict($0.0, $0.1, .prior) })
        let fitted = ErrorSummary(predictions)
        if output.json {
            print(JSONValue.object([
                ("path", .string(path)), ("points", .number(Double(rows.count))), ("prior_ttft_mape_pct", .number(prior.ttftMAPE)),
                ("prior_tpot_mape_pct", .number(prior.tpotMAPE)), ("ttft_mape_pct", .number(fitted.ttftMAPE)), ("tpot_mape_pct", .number(fitted.tpotMAPE)),
                ("efficiency", PredictText.efficiencyJSON(ChosenEfficiency(efficiency: efficiency, provenance: "measured", description: source,
                                                                           band: calibration.band))),
            ]).serialized)
            return
        }
        print(CalibrationText.fitted(calibration, prior: prior, fitted: fitted, path: path))
    }

    /// One fit per engine over the rows of every GPU and precision in a CSV (rows under a deployment assumption left out, as
    /// `validate` fits), each stored engine-wide.
    func fitPerEngine(_ path: String, store: CalibrationStore) throws {
        let catalog = try HardwareCatalog.load()
        let validator = Validator(models: try ModelCatalog.load(), hardware: catalog)
        let usable = validator.usable(try MeasuredData.read(path: path)).rows.filter { $0.0.assumption == nil && (engine.engine == nil || $0.0.backend == engine.engine) }
        guard !usable.isEmpty else {
            throw ConfigError(field: "data", message: "no usable row\(engine.engine.map { " of \($0)" } ?? "") in \(path); tokenmeter validate --data \(path) says why rows are not predictable")
        }
        for (name, rows) in Dictionary(grouping: usable, by: \.0.backend).sorted(by: { $0.key < $1.key }) {
            var gpus: [String: String] = [:]  // catalog id → family
            for system in Set(rows.map(\.0.system)) {
                let entry = try catalog.gpu(system.replacingOccurrences(of: "_", with: "-"))
                gpus[entry.id] = try HardwareSpec(entry).family
            }
            let efficiency = Validator.fitSimulation(rows, Validator.calibrate(rows, provenance: "measured"))
            try save(rows, efficiency: efficiency, heldOutBand: Validator.heldOutBand(rows), source: URL(fileURLWithPath: path).lastPathComponent, store: store,
                     hardware: gpus.keys.sorted().joined(separator: "+"), family: Set(gpus.values).sorted().joined(separator: "+"), engine: name,
                     precision: nil)
        }
    }

    func printList(_ store: CalibrationStore) throws {
        let all = try store.all()
        if all.isEmpty {
            print("no calibrations in \(store.directory); fit one with tokenmeter calibrate --result run.json --gpu G --engine E --precision P")
        } else {
            print("calibrations in \(store.directory):")
            print(CalibrationText.list(all))
        }
        print("built in (predict uses them where the store has no fit; --priors for neither):")
        print(CalibrationText.list(try Calibration.builtIn()))
    }
}
