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
    /// Predicted TTFT, TPOT and tokens per second per GPU.
    public var point: OperatingPoint
    /// Whether the predicted TTFT and TPOT meet the SLO (on the simulation's percentiles when it was simulated).
    public var meetsSLO: Bool
    /// The layout of an aggregated configuration (nil for disaggregated pools).
    public var layout: Parallelism?
    /// The pools of a disaggregated configuration (nil for an aggregated one).
    public var pools: DisaggregatedLayout?
    /// The configuration run through the engine scheduler on a virtual clock (the front's, when asked).
    public var simulated: EngineSimulation.Outcome?
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
    /// With the front simulated: the formula's best when it missed the SLO simulated and the front's best that meets it
    /// simulated took its place in `best`.
    public var turnedDown: SearchedConfiguration?
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
    /// Also run the front's configurations on a virtual clock (only the front: the rest stay formula).
    public var simulateFront = false
    /// The engine's scheduling policy for that simulation.
    public var policy: SchedulingPolicy = .decodesFirst
    /// The percentiles the TTFT and TPOT limits bound (50, 90, 95, 99), checked on a simulated configuration's distribution.
    public var ttftPercentile = 50
    public var tpotPercentile = 50

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
}
