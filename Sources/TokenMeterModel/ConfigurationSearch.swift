import Foundation
import TokenMeterCore

/// One configuration the search evaluated.
public struct SearchedConfiguration: Sendable, Equatable {
    /// `agg` or `disagg`.
    public var mode: String
    /// In words: layouts, worker counts, concurrency.
    public var label: String
    /// GPUs it uses.
    public var gpus: Int
    /// Concurrency (users in flight over all of its GPUs).
    public var concurrency: Int
    /// Predicted TTFT, ms.
    public var ttftMilliseconds: Double
    /// Predicted TPOT, ms.
    public var tpotMilliseconds: Double
    /// Output tok/s per GPU.
    public var outputPerGPU: Double
    /// Input tok/s per GPU.
    public var inputPerGPU: Double
    /// tok/s per user.
    public var interactivity: Double
    /// Whether the predicted TTFT and TPOT meet the SLO.
    public var meetsSLO: Bool
}

/// What a search found.
public struct SearchResult: Sendable {
    /// Configurations enumerated (aggregated layouts × concurrencies, and disaggregated pool pairs × worker counts ×
    /// concurrencies).
    public var enumerated: Int
    /// Layouts rejected because the weights, KV, activations and reserve do not fit in HBM.
    public var rejectedByMemory: Int
    /// Configurations actually predicted: aggregated ones and combined pool pairs (pairs with a dominated pool are counted in
    /// `enumerated` but skipped).
    public var evaluated: Int
    /// Distinct pool and aggregated predictions the enumerated ones were built from.
    public var poolPredictions: Int
    /// The Pareto front of output tok/s/GPU against tok/s/user (resolved to 0.77% in tok/s/user: the best configuration in
    /// each such interval competes for it).
    public var front: [SearchedConfiguration]
    /// The configuration meeting the SLO with the most output tok/s per GPU (the cheapest per token at any $/GPU-hour).
    public var best: SearchedConfiguration?
    /// Configurations meeting the SLO.
    public var meetingSLO: Int
}

/// Enumerates layouts (TP, attention DP, EP inside the scale-up domain), concurrencies and, for disaggregated serving, prefill
/// and decode pools with their worker counts; prunes by memory and SLO; returns the front and the best configuration.
public struct ConfigurationSearch: Sendable {
    /// The model.
    public var model: ModelArchitecture
    /// The GPU.
    public var hardware: HardwareSpec
    /// Weight precision.
    public var precision: Precision
    /// Efficiencies.
    public var efficiency: Efficiency
    /// Speculation, prefix cache, offload.
    public var options: ServingOptions
    /// Prompt tokens.
    public var inputLength: Int
    /// Output tokens.
    public var outputLength: Int
    /// Limits on predicted TTFT and TPOT, ms (nil: none).
    public var ttftLimitMilliseconds: Double?
    /// TPOT limit, ms.
    public var tpotLimitMilliseconds: Double?
    /// Most GPUs one configuration may use (default: the scale-up domain).
    public var maxGPUs: Int
    /// Concurrencies per aggregated replica or decode worker.
    public var concurrencies: [Int] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    /// Whether to search aggregated configurations.
    public var aggregated = true
    /// Whether to search disaggregated configurations.
    public var disaggregated = true

    /// Creates a search.
    public init(model: ModelArchitecture, hardware: HardwareSpec, precision: Precision, efficiency: Efficiency, options: ServingOptions,
                inputLength: Int, outputLength: Int, ttftLimitMilliseconds: Double?, tpotLimitMilliseconds: Double?, maxGPUs: Int? = nil) {
        self.model = model
        self.hardware = hardware
        self.precision = precision
        self.efficiency = efficiency
        self.options = options
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.ttftLimitMilliseconds = ttftLimitMilliseconds
        self.tpotLimitMilliseconds = tpotLimitMilliseconds
        self.maxGPUs = maxGPUs ?? hardware.scaleUpDomain
    }

    /// Replica layouts up to `limit` GPUs, powers of two: TP × attention-DP = GPUs; for MoE every EP × expert-TP split of them.
    /// Attention DP is offered only to MoE models (for a dense model it is just more replicas).
    public func layouts(limit: Int) -> [Parallelism] {
        var out: [Parallelism] = []
        var g = 1
        while g <= limit {
            var tp = 1
            while tp <= g {
                let dp = g / tp
                if model.moe == nil {
                    if dp == 1, tp <= max(1, model.attention.heads) { out.append(Parallelism(tensor: tp)) }
                } else {
                    var ep = 1
                    while ep <= g {
                        if ep <= model.moe!.routedExperts { out.append(Parallelism(tensor: tp, attentionData: dp, expert: ep, expertTensor: g / ep)) }
                        ep *= 2
                    }
                }
                tp *= 2
            }
            g *= 2
        }
        return out
    }

    private func meets(ttft: Double, tpot: Double) -> Bool {
        (ttftLimitMilliseconds.map { ttft <= $0 } ?? true) && (tpotLimitMilliseconds.map { tpot <= $0 } ?? true)
    }

    private func model(_ layout: Parallelism) -> PerformanceModel {
        PerformanceModel(deployment: Deployment(model: model, hardware: hardware, precision: precision, parallelism: layout), efficiency: efficiency)
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
        var ttft: Double
        var tpot: Double
        var output: Double
        var input: Double
        var interactivity: Double
        var meets: Bool
    }

    /// Keeps, per interactivity bucket (300 per decade: 0.77% wide), the configuration with the most output tok/s/GPU, and
    /// the best one meeting the SLO. The front is then exact over the bucket winners.
    private struct Tracker {
        static let perDecade = 300.0
        static let lowest = -3.0  // 10^-3 tok/s/user
        var buckets = [Kept?](repeating: nil, count: Int(9 * perDecade))
        var best: Kept?
        var meeting = 0

        mutating func add(_ k: Kept) {
            if k.meets {
                meeting += 1
                if k.output > (best?.output ?? -1) { best = k }
            }
            guard k.interactivity > 0, k.interactivity.isFinite else { return }
            let i = min(buckets.count - 1, max(0, Int(((log10(k.interactivity) - Self.lowest) * Self.perDecade).rounded(.down))))
            if k.output > (buckets[i]?.output ?? -1) { buckets[i] = k }
        }
    }

    /// Runs the search.
    public func run() -> SearchResult {
        let isl = inputLength, osl = outputLength
        var enumerated = 0, rejected = 0, predictions = 0, evaluated = 0
        var tracker = Tracker()
        let all = layouts(limit: min(maxGPUs, hardware.scaleUpDomain))
        var fitting: [Parallelism] = []
        for layout in all {
            if model(layout).memoryPlan(concurrency: 1, inputLength: isl, outputLength: osl, prefixHitRate: options.prefixHitRate).fits {
                fitting.append(layout)
            } else {
                rejected += 1
            }
        }
        if aggregated { enumerated += all.count * concurrencies.count }
        for (index, layout) in fitting.enumerated() where aggregated {
            let m = model(layout)
            for c in concurrencies {
                predictions += 1
                evaluated += 1
                let p = m.aggregated(concurrency: c, inputLength: isl, outputLength: osl, options: options)
                tracker.add(Kept(origin: .aggregated(layout: index, concurrency: c), gpus: layout.gpus, users: c, ttft: p.ttftMilliseconds,
                                 tpot: p.tpotMilliseconds, output: p.outputPerGPU, input: p.inputPerGPU, interactivity: p.interactivity,
                                 meets: meets(ttft: p.ttftMilliseconds, tpot: p.tpotMilliseconds)))
            }
        }
        var prefills: [(Parallelism, PrefillPool)] = []
        var decodes: [(Parallelism, DecodePool)] = []
        if disaggregated {
            for layout in fitting {
                let serving = DisaggregatedServing(prefill: model(layout), decode: model(layout), options: options)
                prefills.append((layout, serving.prefillPool(inputLength: isl, batch: 1)))
                predictions += 1
                for c in concurrencies {
                    decodes.append((layout, serving.decodePool(concurrency: c, inputLength: isl, outputLength: osl)))
                    predictions += 1
                }
            }
            // Worker counts: every split of the GPU budget.
            for (_, p) in prefills {
                for (_, d) in decodes {
                    enumerated += Self.workerPairs(prefillGPUs: p.gpus, decodeGPUs: d.gpus, budget: maxGPUs)
                }
            }
            let promptKV = model.kvBytes(context: isl, bytesPerElement: precision.kvBytes)
            for pi in prefills.indices {
                let p = prefills[pi].1
                for di in decodes.indices {
                    let d = decodes[di].1
                    var np = 1
                    while np * p.gpus + d.gpus <= maxGPUs {
                        var nd = 1
                        while np * p.gpus + nd * d.gpus <= maxGPUs {
                            let total = np * p.gpus + nd * d.gpus
                            let users = nd * d.concurrency
                            evaluated += 1
                            let r = DisaggregatedServing.combine(
                                prefill: p, prefillWorkers: np, decode: d, decodeWorkers: nd,
                                transfer: DisaggregatedServing.transferSeconds(bytes: promptKV, prefillGPUs: p.gpus, decodeGPUs: d.gpus,
                                                                               totalGPUs: total, hardware: hardware, efficiency: efficiency),
                                concurrency: users, inputLength: isl, outputLength: osl, prefillBatching: efficiency.prefillBatching)
                            tracker.add(Kept(origin: .disaggregated(prefill: pi, decode: di, prefillWorkers: np, decodeWorkers: nd), gpus: total,
                                             users: users, ttft: r.ttftMilliseconds, tpot: r.tpotMilliseconds, output: r.outputPerGPU,
                                             input: r.inputPerGPU, interactivity: r.interactivity,
                                             meets: meets(ttft: r.ttftMilliseconds, tpot: r.tpotMilliseconds)))
                            nd += 1
                        }
                        np += 1
                    }
                }
            }
        }
        func configuration(_ k: Kept) -> SearchedConfiguration {
            let mode: String, label: String
            switch k.origin {
            case let .aggregated(layout, c):
                mode = "agg"
                label = "agg \(Self.name(fitting[layout])) c\(c)"
            case let .disaggregated(pi, di, np, nd):
                mode = "disagg"
                label = "disagg \(np)×P(\(Self.name(prefills[pi].0))) + \(nd)×D(\(Self.name(decodes[di].0))) c\(k.users)"
            }
            return SearchedConfiguration(mode: mode, label: label, gpus: k.gpus, concurrency: k.users, ttftMilliseconds: k.ttft,
                                         tpotMilliseconds: k.tpot, outputPerGPU: k.output, inputPerGPU: k.input, interactivity: k.interactivity,
                                         meetsSLO: k.meets)
        }
        let winners = tracker.buckets.compactMap { $0 }.map(configuration)
        let front = ParetoFront(winners.map { FrontPoint(interactivity: $0.interactivity, throughputPerGPU: $0.outputPerGPU, label: $0.label) })
        let byLabel = Dictionary(winners.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
        return SearchResult(enumerated: enumerated, rejectedByMemory: rejected, evaluated: evaluated, poolPredictions: predictions,
                            front: front.points.compactMap { byLabel[$0.label] }, best: tracker.best.map(configuration),
                            meetingSLO: tracker.meeting)
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
