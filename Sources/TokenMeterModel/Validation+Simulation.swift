import Foundation
import Synchronization
import TokenMeterCore

extension Validator {
    /// Predicts aggregated rows by running the benchmark's closed loop through the engine scheduler on a virtual clock
    /// (`EngineSimulation`) with the fitted step times, instead of the steady-state formula: TTFT and TPOT are the medians
    /// over the simulated requests, TTFT plus the engine's per-request cost, refitted here on the simulated values (the grid
    /// fit saw the formula's). Disaggregated rows keep the formula. Rows are simulated several at once.
    public static func simulate(_ rows: [(MeasuredRow, RowSetup)], with fits: [String: Efficiency]) -> [RowPrediction] {
        let simulated = Mutex<[Int: RowPrediction]>([:])
        DispatchQueue.concurrentPerform(iterations: rows.count) { i in
            let (row, setup) = rows[i]
            let efficiency = fits[row.backend] ?? .prior
            guard case let .aggregated(deployment) = setup else {
                let p = predict(row, setup, efficiency)
                simulated.withLock { $0[i] = p }
                return
            }
            var model = PerformanceModel(deployment: deployment, efficiency: efficiency)
            model.efficiency.requestMilliseconds = 0
            let outcome = model.simulateClosedLoop(concurrency: row.concurrency, inputLength: row.inputLength, outputLength: row.outputLength,
                                                   policy: SchedulingPolicy(engine: row.backend), requests: max(32, row.concurrency))
            let p = RowPrediction(row: row, ttftMilliseconds: outcome.point.ttftMilliseconds, tpotMilliseconds: outcome.point.tpotMilliseconds)
            simulated.withLock { $0[i] = p }
        }
        let all = simulated.withLock { $0 }
        var predictions = rows.indices.map { all[$0]! }
        // The per-request cost on top of the simulated TTFT, per engine: the value that minimises its TTFT MAPE.
        for engine in Set(rows.map(\.0.backend)) {
            let indices = predictions.indices.filter { predictions[$0].row.backend == engine && predictions[$0].row.mode != "disagg" }
            func mape(_ cost: Double) -> Double {
                indices.reduce(0) { s, i in s + abs((predictions[i].ttftMilliseconds + cost) / predictions[i].row.ttftMilliseconds - 1) }
            }
            let best = stride(from: 0.0, through: 500, by: 5).min { mape($0) < mape($1) } ?? 0
            for i in indices { predictions[i].ttftMilliseconds += best }
        }
        return predictions
    }
}
