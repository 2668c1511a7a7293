import Foundation
import Synchronization
import TokenMeterCore

extension ConfigurationSearch {
    /// Runs the search.
    public func run() -> SearchResult {
        var tally = Tally()
        let all = layouts(limit: min(maxGPUs, hardware.scaleUpDomain))
        let fitting = all.filter { layout in
            model(layout).memoryPlan(concurrency: 1, inputLength: inputLength, outputLength: outputLength, prefixHitRate: options.prefixHitRate).fits
        }
        tally.rejected = all.count - fitting.count
        var tracker = Tracker()
        if aggregated {
            tally.enumerated += all.count * concurrencies.count
            searchAggregated(fitting, into: &tracker, tally: &tally)
        }
        var pools = Pools()
        if disaggregated {
            pools = predictPools(fitting, tally: &tally)
            searchDisaggregated(pools, into: &tracker, tally: &tally)
        }
        func configuration(_ k: Kept) -> SearchedConfiguration {
            let label = switch k.origin {
            case let .aggregated(layout, c): "agg \(Self.name(fitting[layout])) c\(c)"
            case let .disaggregated(pi, di, np, nd):
                "disagg \(np)×P(\(Self.name(pools.prefill[pi].0))) + \(nd)×D(\(Self.name(pools.decode[di].0))) c\(k.users)"
            }
            let mode = if case .aggregated = k.origin { "agg" } else { "disagg" }
            var layout: Parallelism?
            var disaggregated: DisaggregatedLayout?
            switch k.origin {
            case let .aggregated(index, _): layout = fitting[index]
            case let .disaggregated(pi, di, np, nd):
                disaggregated = DisaggregatedLayout(prefill: pools.prefill[pi].0, prefillWorkers: np, prefillBatch: 1, decode: pools.decode[di].0,
                                                    decodeWorkers: nd)
            }
            return SearchedConfiguration(mode: mode, label: label, gpus: k.gpus, concurrency: k.users, point: k.point, meetsSLO: k.meets, layout: layout,
                                         pools: disaggregated)
        }
        let winners = tracker.buckets.compactMap { $0 }.map(configuration)
        let front = ParetoFront(winners.map { FrontPoint(interactivity: $0.point.interactivity, throughputPerGPU: $0.point.outputPerGPU, label: $0.label) })
        let byLabel = Dictionary(winners.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
        var result = SearchResult(enumerated: tally.enumerated, rejectedByMemory: tally.rejected, evaluated: tally.evaluated,
                                  poolPredictions: tally.predictions, front: front.points.compactMap { byLabel[$0.label] },
                                  best: tracker.best.map(configuration), meetingSLO: tracker.meeting)
        if simulateFront { simulate(&result) }
        return result
    }

    /// Every aggregated layout that fits, at every concurrency.
    private func searchAggregated(_ fitting: [Parallelism], into tracker: inout Tracker, tally: inout Tally) {
        for (index, layout) in fitting.enumerated() {
            let m = model(layout)
            for c in concurrencies {
                tally.predictions += 1
                tally.evaluated += 1
                let p = m.aggregated(concurrency: c, inputLength: inputLength, outputLength: outputLength, options: options).point
                tracker.add(Kept(origin: .aggregated(layout: index, concurrency: c), gpus: layout.gpus, users: c, point: p, meets: meets(p)))
            }
        }
    }

    /// One prefill pool per layout that fits, and one decode pool per layout and concurrency.
    private func predictPools(_ fitting: [Parallelism], tally: inout Tally) -> Pools {
        var pools = Pools()
        for layout in fitting {
            let serving = DisaggregatedServing(prefill: model(layout), decode: model(layout), options: options)
            pools.prefill.append((layout, serving.prefillPool(inputLength: inputLength, batch: 1)))
            tally.predictions += 1
            let run = pools.decode.count..<(pools.decode.count + concurrencies.count)
            for c in concurrencies {
                pools.decode.append((layout, serving.decodePool(concurrency: c, inputLength: inputLength, outputLength: outputLength)))
                pools.layoutRun.append(run)
                tally.predictions += 1
            }
        }
        // Worker counts: every split of the GPU budget.
        for (_, p) in pools.prefill {
            for (_, d) in pools.decode { tally.enumerated += Self.workerPairs(prefillGPUs: p.gpus, decodeGPUs: d.gpus, budget: maxGPUs) }
        }
        return pools
    }

    /// Every pair of pools at every worker count the GPU budget allows.
    private func searchDisaggregated(_ pools: Pools, into tracker: inout Tracker, tally: inout Tally) {
        let promptKV = model.kvBytes(context: inputLength, bytesPerElement: precision.kvBytes)
        for (pi, (_, p)) in pools.prefill.enumerated() {
            for (di, (_, d)) in pools.decode.enumerated() {
                var np = 1
                while np * p.gpus + d.gpus <= maxGPUs {
                    var nd = 1
                    while np * p.gpus + nd * d.gpus <= maxGPUs {
                        let total = np * p.gpus + nd * d.gpus
                        let users = nd * d.concurrency
                        tally.evaluated += 1
                        let transfer = DisaggregatedServing.transferSeconds(bytes: promptKV, prefillGPUs: p.gpus, decodeGPUs: d.gpus, totalGPUs: total,
                                                                            hardware: hardware, efficiency: efficiency)
                        let r = DisaggregatedServing.combine(prefill: p, prefillWorkers: np, decode: d, decodeWorkers: nd, transfer: transfer,
                                                             concurrency: users, inputLength: inputLength, outputLength: outputLength,
                                                             prefillBatching: efficiency.prefillBatching,
                                                             requestMilliseconds: efficiency.requestMilliseconds,
                                                             decodeFed: { pools.decodeFed($0, like: di) })
                        tracker.add(Kept(origin: .disaggregated(prefill: pi, decode: di, prefillWorkers: np, decodeWorkers: nd), gpus: total,
                                         users: users, point: r.point, meets: meets(r.point)))
                        nd += 1
                    }
                    np += 1
                }
            }
        }
    }

    private func meets(_ p: OperatingPoint) -> Bool {
        (ttftLimitMilliseconds.map { p.ttftMilliseconds <= $0 } ?? true) && (tpotLimitMilliseconds.map { p.tpotMilliseconds <= $0 } ?? true)
    }

    private func model(_ layout: Parallelism) -> PerformanceModel {
        PerformanceModel(deployment: Deployment(model: model, hardware: hardware, precision: precision, parallelism: layout), efficiency: efficiency)
    }

    /// Short layout name (`tp4 dp2 ep8`), degrees of 1 left out.
    static func name(_ p: Parallelism) -> String {
        var parts = ["tp\(p.tensor)"]
        if p.attentionData > 1 { parts.append("dp\(p.attentionData)") }
        if p.expert > 1 { parts.append("ep\(p.expert)") }
        if p.expertTensor > 1, p.expertTensor != p.tensor { parts.append("etp\(p.expertTensor)") }
        if p.pipeline > 1 { parts.append("pp\(p.pipeline)") }
        return parts.joined(separator: " ")
    }

    /// (prefill workers, decode workers) pairs that fit a GPU budget.
    static func workerPairs(prefillGPUs: Int, decodeGPUs: Int, budget: Int) -> Int {
        var count = 0
        var np = 1
        while np * prefillGPUs + decodeGPUs <= budget {
            count += (budget - np * prefillGPUs) / decodeGPUs
            np += 1
        }
        return count
    }
}

/// The counts a search reports.
private struct Tally {
    var enumerated = 0, rejected = 0, predictions = 0, evaluated = 0
}

/// The pools a disaggregated search combines, with their layouts.
private struct Pools {
    var prefill: [(Parallelism, PrefillPool)] = []
    /// One pool per layout and concurrency, each layout's in a run.
    var decode: [(Parallelism, DecodePool)] = []
    /// For each decode pool, the run of its layout's pools in `decode`.
    var layoutRun: [Range<Int>] = []

    /// The pool of the same layout as `decode[index]` that one worker settles at when fed `rate` requests per second: the
    /// fewest sequences whose pool completes that many (rate × decode time held, rounded up to the grid the search
    /// predicted), or the most it has.
    func decodeFed(_ rate: Double, like index: Int) -> DecodePool {
        var best = -1, most = index
        for k in layoutRun[index] {
            let c = decode[k].1.concurrency
            if c > decode[most].1.concurrency { most = k }
            if decode[k].1.requestsPerSecond >= rate, best < 0 || c < decode[best].1.concurrency { best = k }
        }
        return decode[best >= 0 ? best : most].1
    }
}

/// Where a kept configuration came from, without building its label (labels are made only for what is printed).
private enum Origin {
    case aggregated(layout: Int, concurrency: Int)
    case disaggregated(prefill: Int, decode: Int, prefillWorkers: Int, decodeWorkers: Int)
}

/// A predicted configuration in compact form.
private struct Kept {
    var origin: Origin
    var gpus: Int
    var users: Int
    var point: OperatingPoint
    var meets: Bool
}

/// Keeps, per interactivity bucket (300 per decade: 0.77% wide), the configuration with the most output tok/s/GPU, and the
/// best one meeting the SLO. The front is then exact over the bucket winners.
private struct Tracker {
    static let perDecade = 300.0
    static let lowest = -3.0  // 10^-3 tok/s/user
    var buckets = [Kept?](repeating: nil, count: Int(9 * perDecade))
    var best: Kept?
    var meeting = 0

    mutating func add(_ k: Kept) {
        if k.meets {
            meeting += 1
            if k.point.outputPerGPU > (best?.point.outputPerGPU ?? -1) { best = k }
        }
        let x = k.point.interactivity
        guard x > 0, x.isFinite else { return }
        let i = min(buckets.count - 1, max(0, Int(((log10(x) - Self.lowest) * Self.perDecade).rounded(.down))))
        if k.point.outputPerGPU > (buckets[i]?.point.outputPerGPU ?? -1) { buckets[i] = k }
    }
}

extension ConfigurationSearch {
    /// Runs the front's configurations (and the best) on a virtual clock with the serving options, several at once —
    /// aggregated ones through the engine scheduler, disaggregated ones through both pools and the KV transfer — and checks
    /// the SLO on the simulated percentiles: an SLO on p99 is checked on the simulation's p99.
    func simulate(_ result: inout SearchResult) {
        // The best is often on the front: simulated once, there.
        let bestOnFront = result.best.flatMap { best in result.front.firstIndex { $0.label == best.label } }
        let chosen = result.front + (bestOnFront == nil ? result.best.map { [$0] } ?? [] : [])
        let outcomes = Mutex<[Int: EngineSimulation.Outcome]>([:])
        DispatchQueue.concurrentPerform(iterations: chosen.count) { i in
            let c = chosen[i].concurrency
            var outcome: EngineSimulation.Outcome?
            if let layout = chosen[i].layout {
                outcome = model(layout).simulateClosedLoop(concurrency: c, inputLength: inputLength, outputLength: outputLength, policy: policy,
                                                           options: options)
            } else if let pools = chosen[i].pools {
                outcome = DisaggregatedServing(prefill: model(pools.prefill), decode: model(pools.decode), options: options)
                    .simulateClosedLoop(concurrency: c, inputLength: inputLength, outputLength: outputLength, prefillWorkers: pools.prefillWorkers,
                                        decodeWorkers: pools.decodeWorkers, policy: policy)
            }
            if let outcome { outcomes.withLock { $0[i] = outcome } }
        }
        let simulated = outcomes.withLock { $0 }
        func attach(_ x: inout SearchedConfiguration, _ outcome: EngineSimulation.Outcome?) {
            guard let outcome else { return }
            x.simulated = outcome
            x.meetsSLO = meetsSimulated(outcome)
        }
        for i in result.front.indices { attach(&result.front[i], simulated[i]) }
        if result.best != nil { attach(&result.best!, simulated[bestOnFront ?? result.front.count]) }
        // The formula's best may miss the SLO simulated (the formula's queues are shorter at the edge of saturation): the
        // front's configuration that meets it simulated with the most simulated output per GPU stands in for it.
        if let best = result.best, !best.meetsSLO,
           let stand = result.front.filter({ $0.meetsSLO && $0.simulated != nil })
               .max(by: { $0.simulated!.point.outputPerGPU < $1.simulated!.point.outputPerGPU }) {
            result.turnedDown = best
            result.best = stand
        }
    }

    /// The SLO's limits checked on the simulated distributions (TTFT and TPOT at the bound's percentile).
    func meetsSimulated(_ outcome: EngineSimulation.Outcome) -> Bool {
        let ttft = ttftLimitMilliseconds.map { limit in (outcome.ttft?.value(atPercentile: ttftPercentile) ?? .infinity) <= limit } ?? true
        let tpot = tpotLimitMilliseconds.map { limit in (outcome.tpot?.value(atPercentile: tpotPercentile) ?? .infinity) <= limit } ?? true
        return ttft && tpot
    }
}
