import Foundation
import Synchronization
import TokenMeterCore

extension Validator {
    /// The shares of a closed loop's clients in lock step tried on the simulation (`Efficiency.lockstep`).
    static let lockstepGrid: [Double] = [0, 0.05, 0.1, 0.2, 0.3, 0.5]
    /// At most this many rows of an engine choose its lock-step share (evenly spaced).
    static let lockstepSample = 160

    /// Fits per engine as `fitPerEngine` does, then each engine's simulation coefficients on its rows (`fitSimulation`).
    public static func fitPerEngineOnSimulation(_ rows: [(MeasuredRow, RowSetup)], provenance: String) -> [String: Efficiency] {
        var fits = fitPerEngine(rows, provenance: provenance)
        for (engine, efficiency) in fits {
            fits[engine] = fitSimulation(rows.filter { $0.0.backend == engine }, efficiency)
        }
        return fits
    }

    /// Fits what only the simulation uses on simulated values, since the grid fit saw the formula's: how many clients stay
    /// in lock step (`lockstep`, chosen on a sample of the aggregated rows) and the per-request TTFT cost the simulation
    /// leaves (`simulatedRequestMilliseconds`, on all of them). Rows under an assumption are not fitted on; without an
    /// aggregated row the efficiency is returned as it is.
    public static func fitSimulation(_ rows: [(MeasuredRow, RowSetup)], _ efficiency: Efficiency) -> Efficiency {
        let fitted = rows.filter { $0.0.assumption == nil && $0.0.mode != "disagg" }
        guard !fitted.isEmpty else { return efficiency }
        let stride = max(1, fitted.count / lockstepSample)
        let sample = Swift.stride(from: 0, to: fitted.count, by: stride).map { fitted[$0] }
        var candidate = efficiency
        candidate.simulatedRequestMilliseconds = 0
        var best = (loss: Double.infinity, share: efficiency.lockstep)
        for share in lockstepGrid {
            candidate.lockstep = share
            let loss = requestCost(simulated(sample, candidate)).loss
            if loss < best.loss { best = (loss, share) }
        }
        candidate.lockstep = best.share
        candidate.simulatedRequestMilliseconds = requestCost(simulated(fitted, candidate)).cost
        return candidate
    }

    /// Predicts rows by running the benchmark's closed loop on a virtual clock with the fitted step times, instead of the
    /// steady-state formulas: aggregated rows through the engine scheduler (`EngineSimulation.closedLoop`), disaggregated
    /// ones through prefill and decode pools joined by the KV transfer (`EngineSimulation.disaggregatedClosedLoop`); TTFT and
    /// TPOT are the medians over the simulated requests, TTFT with the engine's per-request cost.
    public static func simulate(_ rows: [(MeasuredRow, RowSetup)], with fits: [String: Efficiency]) -> [RowPrediction] {
        var predictions: [RowPrediction?] = Array(repeating: nil, count: rows.count)
        for engine in Set(rows.map(\.0.backend)) {
            let indices = rows.indices.filter { rows[$0].0.backend == engine }
            let efficiency = fits[engine] ?? .prior
            for (k, p) in simulated(indices.map { rows[$0] }, efficiency).enumerated() {
                predictions[indices[k]] = p
                predictions[indices[k]]?.ttftMilliseconds += efficiency.requestMillisecondsInSimulation
            }
        }
        return predictions.map { $0! }
    }

    /// Rows simulated with one engine's efficiencies, without its per-request cost, several at once.
    static func simulated(_ rows: [(MeasuredRow, RowSetup)], _ efficiency: Efficiency) -> [RowPrediction] {
        let out = Mutex<[Int: RowPrediction]>([:])
        DispatchQueue.concurrentPerform(iterations: rows.count) { i in
            let (row, setup) = rows[i]
            var efficiency = efficiency
            efficiency.simulatedRequestMilliseconds = 0
            let policy = SchedulingPolicy(engine: row.backend)
            let outcome: EngineSimulation.Outcome
            switch setup {
            case let .aggregated(deployment):
                outcome = PerformanceModel(deployment: deployment, efficiency: efficiency)
                    .simulateClosedLoop(concurrency: row.concurrency, inputLength: row.inputLength, outputLength: row.outputLength,
                                        policy: policy, requests: max(32, row.concurrency))
            case let .disaggregated(prefill, decode, layout):
                outcome = DisaggregatedServing(prefill: PerformanceModel(deployment: prefill, efficiency: efficiency),
                                               decode: PerformanceModel(deployment: decode, efficiency: efficiency))
                    .simulateClosedLoop(concurrency: row.concurrency, inputLength: row.inputLength, outputLength: row.outputLength,
                                        prefillWorkers: layout.prefillWorkers, decodeWorkers: layout.decodeWorkers, prefillBatch: layout.prefillBatch,
                                        policy: policy, requests: max(32, row.concurrency))
            }
            let p = RowPrediction(row: row, ttftMilliseconds: outcome.point.ttftMilliseconds, tpotMilliseconds: outcome.point.tpotMilliseconds)
            out.withLock { $0[i] = p }
        }
        let all = out.withLock { $0 }
        return rows.indices.map { all[$0]! }
    }

    /// The per-request cost to add to simulated TTFTs: the value (5 ms steps up to 500) that minimises their MAPE; with the
    /// sum of the TTFT and TPOT MAPE it leaves.
    static func requestCost(_ predictions: [RowPrediction]) -> (cost: Double, loss: Double) {
        func mape(_ cost: Double) -> Double {
            predictions.reduce(0) { s, p in s + abs((p.ttftMilliseconds + cost) / p.row.ttftMilliseconds - 1) }
        }
        let cost = stride(from: 0.0, through: 500, by: 5).min { mape($0) < mape($1) } ?? 0
        let tpot = predictions.reduce(0) { s, p in s + abs(p.tpotMilliseconds / p.row.tpotMilliseconds - 1) }
        return (cost, (mape(cost) + tpot) / Double(max(1, predictions.count)))
    }
}
