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

    /// What a row runs on, or why it cannot be predicted.
    public func setup(_ row: MeasuredRow) -> Result<RowSetup, ConfigError> {
        do throws(ConfigError) {
            let model = try models.model(row.modelPath)
            let gpu = try hardware.gpu(row.system.replacingOccurrences(of: "_", with: "-"))
            let precision = try Precision(parsing: row.precision)
            let hardware = try HardwareSpec(gpu)
            guard row.concurrency >= 1 else {
                return .failure(ConfigError(field: "concurrency", message: "the row names no concurrency (batch_size, silicon_concurrency or _cN_ in its id)"))
            }
            if row.mode == "disagg" {
                guard let layout = row.disaggregated else {
                    return .failure(ConfigError(field: "mode", message: "disaggregated rows without prefill/decode worker counts"))
                }
                return .success(.disaggregated(
                    prefill: Deployment(model: model, hardware: hardware, precision: precision, parallelism: layout.prefill),
                    decode: Deployment(model: model, hardware: hardware, precision: precision, parallelism: layout.decode), layout))
            }
            if row.idContradiction != nil {
                return .failure(ConfigError(field: "layout", message: "layout columns contradict the row's id (tp/ep named in the id differ from tp_size/moe_ep_size)"))
            }
            return .success(.aggregated(Deployment(model: model, hardware: hardware, precision: precision, parallelism: row.parallelism)))
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
            (\.compute, [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]),
            (\.fixedMilliseconds, [0, 0.5, 1, 2, 4, 8, 16]),
            (\.perLayerMicroseconds, [0, 10, 20, 40, 80, 160]),
            (\.prefillBatching, [0, 0.02, 0.05, 0.1, 0.25, 0.5, 1]),
            (\.prefillInterference, [0, 0.1, 0.25, 0.5, 1]),
            (\.collectiveLatencyMicroseconds, [0.5, 1, 2, 5, 10]),
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
        /// Rows that could not, with why (grouped reason → ids).
        public var unpredictable: [String: [String]]
        /// With the stated priors only.
        public var prior: ErrorSummary
        /// Calibrated per (system, backend, precision) on the same rows (in-sample).
        public var calibrated: ErrorSummary
        /// Calibrated on the other systems, per (backend, precision), and transferred.
        public var leaveOneSystemOut: [String: ErrorSummary]
        /// Calibrated errors by system, model, backend and mode.
        public var breakdown: [String: [String: ErrorSummary]]
        /// The fitted efficiencies per group.
        public var fitted: [String: Efficiency]
        /// Every calibrated prediction, for inspection.
        public var predictions: [RowPrediction]
    }

    /// Validates rows: priors, in-sample calibration, leave-one-system-out, breakdowns.
    public func validate(_ rows: [MeasuredRow]) -> Report {
        var usable: [(MeasuredRow, RowSetup)] = []
        var unpredictable: [String: [String]] = [:]
        for row in rows {
            switch setup(row) {
            case let .success(d): usable.append((row, d))
            case let .failure(e): unpredictable[e.message, default: []].append(row.id)
            }
        }
        let prior = ErrorSummary(usable.map { Self.predict($0.0, $0.1, .prior) })
        // In-sample: one fit per (system, backend, precision).
        func key(_ r: MeasuredRow, system: Bool) -> String {
            (system ? r.system + "/" : "") + r.backend + "/" + (r.precision.isEmpty ? "bf16" : r.precision)
        }
        var fitted: [String: Efficiency] = [:]
        var calibrated: [RowPrediction] = []
        for (group, items) in Dictionary(grouping: usable, by: { key($0.0, system: true) }) {
            let e = Self.calibrate(items, provenance: "measured")
            fitted[group] = e
            calibrated += items.map { Self.predict($0.0, $0.1, e) }
        }
        // Leave one system out: fit per (backend, precision) on the other systems, predict this one.
        var loso: [String: ErrorSummary] = [:]
        for system in Set(usable.map(\.0.system)).sorted() {
            let train = usable.filter { $0.0.system != system }
            let test = usable.filter { $0.0.system == system }
            var fits: [String: Efficiency] = [:]
            for (group, items) in Dictionary(grouping: train, by: { key($0.0, system: false) }) {
                fits[group] = Self.calibrate(items, provenance: "transferred")
            }
            let predictions = test.map { item in Self.predict(item.0, item.1, fits[key(item.0, system: false)] ?? .prior) }
            loso[system] = ErrorSummary(predictions)
        }
        var breakdown: [String: [String: ErrorSummary]] = [:]
        let dimensions: [(String, KeyPath<MeasuredRow, String>)] = [
            ("system", \.system), ("model", \.modelPath), ("backend", \.backend), ("mode", \.mode),
        ]
        for (dimension, label) in dimensions {
            breakdown[dimension] = Dictionary(grouping: calibrated, by: { $0.row[keyPath: label] }).mapValues(ErrorSummary.init)
        }
        return Report(predicted: usable.count, unpredictable: unpredictable, prior: prior, calibrated: ErrorSummary(calibrated),
                      leaveOneSystemOut: loso, breakdown: breakdown, fitted: fitted, predictions: calibrated)
    }
}
