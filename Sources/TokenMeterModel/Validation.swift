import Foundation
import TokenMeterCore
import TokenMeterCost

/// What a measured row ran on.
public enum RowSetup: Sendable {
    /// One pool.
    case aggregated(Deployment)
    /// Prefill and decode pools.
    case disaggregated(prefill: Deployment, decode: Deployment, DisaggregatedLayout)
}

/// Predicts measured rows, fits efficiencies, and reports errors (in-sample and leave-one-system-out).
public struct Validator: Sendable {
    /// Models known to the catalog.
    public var models: ModelCatalog
    /// Hardware catalog.
    public var hardware: HardwareCatalog

    /// Creates a validator.
    public init(models: ModelCatalog, hardware: HardwareCatalog) {
        self.models = models
        self.hardware = hardware
    }

    /// What a row runs on, or why it cannot be predicted. A row is refused only for a physical reason (its weights do not fit)
    /// or when it lacks what any prediction needs (a model or GPU nobody describes, a load it does not name).
    public func setup(_ row: MeasuredRow) -> Result<RowSetup, ConfigError> {
        do throws(ConfigError) {
            let model = try models.model(row.modelPath)
            // The data source writes systems as `h100_sxm` … `gb300_sxm`: the catalog knows them as `h100-sxm` … aliases.
            let gpu = try hardware.gpu(row.system.replacingOccurrences(of: "_", with: "-"))
            let precision = try Precision(parsing: row.precision)
            let hardware = try HardwareSpec(gpu)
            guard row.concurrency >= 1 else {
                return .failure(ConfigError(field: "concurrency", message: "the row names no concurrency (batch_size, silicon_concurrency or _cN_ in its id)"))
            }
            func deployment(_ parallelism: Parallelism) throws(ConfigError) -> Deployment {
                let d = Deployment(model: model, hardware: hardware, precision: precision, parallelism: parallelism)
                let plan = PerformanceModel(deployment: d).memoryPlan(concurrency: 1, inputLength: row.inputLength, outputLength: row.outputLength)
                guard plan.weightBytes + plan.reserveBytes <= plan.capacityBytes else {
                    throw ConfigError(field: "layout", message: "the weights do not fit: \(model.id) at \(precision.rawValue) on \(parallelism.description) "
                                      + "needs \(Int(plan.weightBytes / 1e9)) GB of weights per GPU of \(Int(plan.capacityBytes / 1e9)) GB")
                }
                return d
            }
            if row.mode == "disagg" {
                guard let layout = row.disaggregated else {
                    return .failure(ConfigError(field: "mode", message: "disaggregated rows without prefill and decode layouts"))
                }
                return .success(.disaggregated(prefill: try deployment(layout.prefill), decode: try deployment(layout.decode), layout))
            }
            // Columns that contradict the row's own id (`tp_size` 64 where the id says `tp8_ep8`): the id's layout, stated as
            // the row's assumption.
            if row.idContradiction != nil, let named = row.idLayout { return .success(.aggregated(try deployment(named))) }
            if row.shardContradiction != nil { return .success(.aggregated(try deployment(row.shardLayout))) }
            return .success(.aggregated(try deployment(row.parallelism)))
        } catch {
            return .failure(error)
        }
    }

    /// Predicts a row with given efficiencies.
    public static func predict(_ row: MeasuredRow, _ setup: RowSetup, _ efficiency: Efficiency) -> RowPrediction {
        switch setup {
        case let .aggregated(deployment):
            let p = PerformanceModel(deployment: deployment, efficiency: efficiency)
                .aggregated(concurrency: row.concurrency, inputLength: row.inputLength, outputLength: row.outputLength)
            return RowPrediction(row: row, ttftMilliseconds: p.point.ttftMilliseconds, tpotMilliseconds: p.point.tpotMilliseconds)
        case let .disaggregated(prefill, decode, layout):
            let serving = DisaggregatedServing(prefill: PerformanceModel(deployment: prefill, efficiency: efficiency),
                                               decode: PerformanceModel(deployment: decode, efficiency: efficiency))
            let p = serving.predict(concurrency: row.concurrency, inputLength: row.inputLength, outputLength: row.outputLength,
                                    prefillWorkers: layout.prefillWorkers, decodeWorkers: layout.decodeWorkers, prefillBatch: layout.prefillBatch)
            return RowPrediction(row: row, ttftMilliseconds: p.point.ttftMilliseconds, tpotMilliseconds: p.point.tpotMilliseconds)
        }
    }

    /// The fit's loss for one predicted/measured ratio: the absolute relative error (what MAPE averages), with over-predictions
    /// beyond 2× counted logarithmically so that a few rows the model cannot explain do not dominate the fit.
    static func loss(_ ratio: Double) -> Double {
        ratio <= 2 ? abs(ratio - 1) : 1 + log2(ratio)
    }

    /// Fits efficiencies to rows by coordinate descent on the mean absolute log error of TTFT and TPOT.
    public static func calibrate(_ rows: [(MeasuredRow, RowSetup)], provenance: String) -> Efficiency {
        var best = Efficiency.prior
        best.provenance = provenance
        guard !rows.isEmpty else { return best }
        func loss(_ e: Efficiency) -> Double {
            rows.reduce(0) { sum, item in
                let p = predict(item.0, item.1, e)
                return sum + Self.loss(p.ttftMilliseconds / item.0.ttftMilliseconds) + Self.loss(p.tpotMilliseconds / item.0.tpotMilliseconds)
            }
        }
        let grids: [(WritableKeyPath<Efficiency, Double>, [Double])] = [
            (\.memory, [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
            (\.compute, [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
            (\.fixedMilliseconds, [0, 0.5, 1, 2, 4, 8, 16]),
            (\.perLayerMicroseconds, [0, 10, 20, 40, 80, 160]),
            (\.prefillBatching, [0, 0.02, 0.05, 0.1, 0.25, 0.5, 1]),
            (\.prefillInterference, [0, 0.1, 0.25, 0.5, 1]),
            (\.collectiveLatencyMicroseconds, [0.5, 1, 2, 5, 10]),
            (\.requestMilliseconds, [0, 5, 10, 20, 40, 80, 150, 250, 400]),
            (\.communication, [0.25, 0.5, 0.75, 1, 1.5]),
        ]
        var bestLoss = loss(best)
        for _ in 0..<3 {
            for (path, values) in grids {
                for v in values {
                    var candidate = best
                    candidate[keyPath: path] = v
                    let l = loss(candidate)
                    if l < bestLoss {
                        bestLoss = l
                        best = candidate
                    }
                }
            }
        }
        return best
    }

    /// The result of a validation run.
    public struct Report: Sendable {
        /// Rows that could be predicted.
        public var predicted: Int
        /// Rows left out as duplicates of another (same configuration, same measurement, another id).
        public var duplicates: Int
        /// The spread of configurations measured more than once around their median (`noiseFloor`).
        public var noiseFloor: ErrorSummary
        /// The errors of a fit made on another file (`validate --fit`), nil without one.
        public var fittedElsewhere: ErrorSummary?
        /// Rows that could not, with why (grouped reason → ids).
        public var unpredictable: [String: [String]]
        /// With the stated priors only.
        public var prior: ErrorSummary
        /// Calibrated per engine on the same rows (in-sample).
        public var calibrated: ErrorSummary
        /// Calibrated per engine on the other systems, and transferred.
        public var leaveOneSystemOut: [String: ErrorSummary]
        /// Calibrated errors by system, model, engine, mode, ISL/OSL and concurrency.
        public var breakdown: [String: [String: ErrorSummary]]
        /// The fitted efficiencies per engine.
        public var fitted: [String: Efficiency]
        /// Every calibrated prediction, for inspection.
        public var predictions: [RowPrediction]
        /// Every row predicted with the fit made without its system (leave-one-system-out), in the order of `predictions`.
        public var heldOut: [RowPrediction]
    }

    /// Rows that can be predicted (duplicates collapsed: the same configuration and measurement under two ids counts once),
    /// and the others by reason.
    public func usable(_ rows: [MeasuredRow]) -> (rows: [(MeasuredRow, RowSetup)], unpredictable: [String: [String]], duplicates: Int) {
        var usable: [(MeasuredRow, RowSetup)] = []
        var unpredictable: [String: [String]] = [:]
        var seen = Set<String>()
        var duplicates = 0
        for row in rows {
            guard seen.insert(row.configurationKey).inserted else {
                duplicates += 1
                continue
            }
            switch setup(row) {
            case let .success(d): usable.append((row, d))
            case let .failure(e): unpredictable[e.message.components(separatedBy: ": ").first ?? e.message, default: []].append(row.id)
            }
        }
        return (usable, unpredictable, duplicates)
    }

    /// Efficiencies fitted per engine on rows of any GPU: no constant belongs to one system, so a fit carries to hardware it
    /// was not made on through the datasheet terms alone.
    /// Rows predicted under a deployment assumption are not fitted on: the assumption is not a measurement.
    public static func fitPerEngine(_ rows: [(MeasuredRow, RowSetup)], provenance: String) -> [String: Efficiency] {
        Dictionary(grouping: rows.filter { $0.0.assumption == nil }, by: { $0.0.backend }).mapValues { calibrate($0, provenance: provenance) }
    }

    /// The error band of one engine's fit on GPUs it did not see: each system's rows predicted with a fit on the other
    /// systems' rows (leave one system out, by the formula); nil with rows of fewer than two systems.
    public static func heldOutBand(_ rows: [(MeasuredRow, RowSetup)]) -> ErrorBand? {
        let held = leaveOneSystemOut(rows, fit: { calibrate($0, provenance: "transferred") },
                                     predict: { rows, fit in rows.map { predict($0.0, $0.1, fit) } })
        return ErrorBand(held.values.flatMap { $0 })
    }

    /// Each system's rows predicted with a fit made on the other systems' rows, by system; empty with rows of fewer than two
    /// systems (leaving the only one out would leave nothing to fit on).
    static func leaveOneSystemOut<Fit>(_ rows: [(MeasuredRow, RowSetup)], fit: ([(MeasuredRow, RowSetup)]) -> Fit,
                                       predict: ([(MeasuredRow, RowSetup)], Fit) -> [RowPrediction]) -> [String: [RowPrediction]] {
        let systems = Set(rows.map(\.0.system))
        guard systems.count > 1 else { return [:] }
        var held: [String: [RowPrediction]] = [:]
        for system in systems {
            held[system] = predict(rows.filter { $0.0.system == system }, fit(rows.filter { $0.0.system != system }))
        }
        return held
    }

    /// Predicts rows with per-engine efficiencies (the stated priors for an engine the fit has no rows of).
    public static func predict(_ rows: [(MeasuredRow, RowSetup)], with fits: [String: Efficiency]) -> [RowPrediction] {
        rows.map { predict($0.0, $0.1, fits[$0.0.backend] ?? .prior) }
    }

    /// Validates rows: priors, in-sample (one fit per engine over every system), leave-one-system-out, breakdowns; with
    /// `fitRows`, also the errors of a fit made on those rows (another file) and applied to these.
    public func validate(_ rows: [MeasuredRow], fitRows: [MeasuredRow]? = nil, simulate: Bool = false) -> Report {
        func predictions(_ rows: [(MeasuredRow, RowSetup)], _ fits: [String: Efficiency]) -> [RowPrediction] {
            simulate ? Self.simulate(rows, with: fits) : Self.predict(rows, with: fits)
        }
        // The simulation's own coefficients are fitted on the rows a fit sees, never on the rows it then predicts.
        func fit(_ rows: [(MeasuredRow, RowSetup)], _ provenance: String) -> [String: Efficiency] {
            simulate ? Self.fitPerEngineOnSimulation(rows, provenance: provenance) : Self.fitPerEngine(rows, provenance: provenance)
        }
        let (usable, unpredictable, duplicates) = self.usable(rows)
        let prior = ErrorSummary(usable.map { Self.predict($0.0, $0.1, .prior) })
        let fitted = fit(usable, "measured")
        let calibrated = predictions(usable, fitted)
        // Leave one system out: fit on the other systems, predict this one from its datasheet.
        let held = Self.leaveOneSystemOut(usable, fit: { fit($0, "transferred") }, predict: predictions)
        var heldOut: [String: RowPrediction] = [:]
        for p in held.values.joined() { heldOut[p.row.configurationKey] = p }
        let fitElsewhere = fitRows.map { other in
            ErrorSummary(predictions(usable, fit(self.usable(other).rows, "transferred")))
        }
        return Report(predicted: usable.count, duplicates: duplicates, noiseFloor: Self.noiseFloor(usable.map(\.0)), fittedElsewhere: fitElsewhere,
                      unpredictable: unpredictable, prior: prior,
                      calibrated: ErrorSummary(calibrated), leaveOneSystemOut: held.mapValues(ErrorSummary.init), breakdown: Self.breakdown(calibrated), fitted: fitted,
                      predictions: calibrated, heldOut: calibrated.compactMap { heldOut[$0.row.configurationKey] })
    }

    /// The data's own noise: every row of a configuration measured more than once "predicted" by the median of its
    /// configuration's rows. No model that sees only the configuration can do much better on these rows.
    public static func noiseFloor(_ rows: [MeasuredRow]) -> ErrorSummary {
        func median(_ v: [Double]) -> Double { Distribution.percentile(sorted: v.sorted(), 50) }
        let repeated = Dictionary(grouping: rows, by: \.setupKey).values.filter { $0.count > 1 }
        return ErrorSummary(repeated.flatMap { group in
            let ttft = median(group.map(\.ttftMilliseconds)), tpot = median(group.map(\.tpotMilliseconds))
            return group.map { RowPrediction(row: $0, ttftMilliseconds: ttft, tpotMilliseconds: tpot) }
        })
    }

    /// The names of the dimensions `breakdown` groups by, in the order a report shows them.
    public static var breakdownDimensions: [String] { dimensions.map(\.name) }

    /// Each dimension a validation's errors are broken down by, with the label it gives a row.
    static let dimensions: [(name: String, label: @Sendable (MeasuredRow) -> String)] = [
        ("system", \.system), ("model", \.modelPath), ("engine", \.backend),
        ("engine version × GPU", { "\($0.backend) \($0.backendVersion.isEmpty ? "(not given)" : $0.backendVersion) on \($0.system)" }), ("mode", \.mode),
        ("layout", { r in
            r.assumption == nil ? "as the row gives it" : r.disaggregated?.assumption != nil ? "worker counts assumed"
                : r.idContradiction != nil ? "layout from the id" : "TP raised to the expert shards"
        }),
        ("isl/osl", { "\($0.inputLength)/\($0.outputLength)" }),
        ("concurrency", { r in
            let bands = [1, 4, 16, 64, 256, 1024]
            guard let i = bands.firstIndex(where: { r.concurrency <= $0 }) else { return "1025+" }
            return i == 0 ? "1" : "\(bands[i - 1] + 1)–\(bands[i])"
        }),
    ]

    /// Errors by system, model, engine, engine version, mode, layout, ISL/OSL and concurrency.
    public static func breakdown(_ predictions: [RowPrediction]) -> [String: [String: ErrorSummary]] {
        var breakdown: [String: [String: ErrorSummary]] = [:]
        for (dimension, label) in dimensions {
            breakdown[dimension] = Dictionary(grouping: predictions, by: { label($0.row) }).mapValues(ErrorSummary.init)
        }
        return breakdown
    }
}
