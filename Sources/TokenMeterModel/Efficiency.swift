import Foundation
import TokenMeterCore

/// The few numbers a roofline cannot know and calibration fits: dimensionless coefficients on the datasheet's roofline terms
/// and latencies, per engine — never per GPU, so that a fit transfers to hardware it was not made on.
public struct Efficiency: Codable, Sendable, Equatable {
    /// Fraction of HBM bandwidth achieved by weight and KV reads.
    public var memory: Double
    /// Fraction of dense tensor peak achieved by GEMMs and attention.
    public var compute: Double
    /// Fixed overhead per engine step (launches, scheduling, sampling), ms.
    public var fixedMilliseconds: Double
    /// Overhead per layer per step (kernel boundaries, per-op latency), µs.
    public var perLayerMicroseconds: Double
    /// Share of the concurrency whose prompts are prefilled together ahead of a first token (1 = waves, 0 = one at a time).
    public var prefillBatching: Double
    /// Share of the amortised prefill work that lands inside decode steps (engine scheduling: 1 = fully mixed batches).
    public var prefillInterference: Double
    /// Latency of one collective hop, µs (ring all-reduce pays it 2(N−1) times; one-shot kernels much less).
    public var collectiveLatencyMicroseconds: Double
    /// The engine's cost per request before its first token that no step accounts for (HTTP, tokenising, scheduling, the
    /// first streamed chunk), ms.
    public var requestMilliseconds: Double = 0
    /// Share of the collectives' transfer time that is not hidden behind compute (1: none overlapped; engines that overlap
    /// expert dispatch with computation, two micro-batches at a time, hide some).
    public var communication: Double = 1
    /// The share of a closed loop's clients that stay in lock step in the engine simulation (`EngineSimulation.closedLoop`):
    /// they start together and, with the same lengths, end and come back together, so their prompts queue for the same
    /// steps (0: every client on its own; 1: the whole concurrency in one wave). A property of how the benchmark drives
    /// the engine, fitted per engine on simulated values; the formula's counterpart is `prefillBatching`.
    public var lockstep: Double = 0
    /// The per-request cost fitted on the engine simulation's TTFTs rather than the formula's (`requestMilliseconds`): the
    /// simulation queues prompts its own way, so the cost it leaves to explain differs. Nil until fitted on the simulation;
    /// the simulation then uses `requestMilliseconds`.
    public var simulatedRequestMilliseconds: Double?
    /// Where these came from: `prior`, `measured` (fitted on this hardware) or `transferred` (fitted on another of its family).
    public var provenance: String

    /// The per-request cost the engine simulation adds to its TTFTs: the one fitted on it, else the formula's.
    public var requestMillisecondsInSimulation: Double { simulatedRequestMilliseconds ?? requestMilliseconds }

    /// Stated priors: HBM efficiency 0.8, per-op latency 3 µs and 10 µs p2p latency are aiconfigurator's empirical factors (REFERENCE.md);
    /// compute 0.6, a 2 ms step overhead and steady-state (unsynchronized) arrivals are assumptions until calibrated.
    public static let prior = Efficiency(memory: 0.8, compute: 0.6, fixedMilliseconds: 2, perLayerMicroseconds: 24, prefillBatching: 0,
                                         prefillInterference: 1, collectiveLatencyMicroseconds: 10, provenance: "prior")

    /// The speed-of-light bound of these efficiencies: the hardware at its peaks with no overhead, under the same scheduling
    /// (how much prefill lands in decode steps, how prompts wait together). Scheduling is not a loss: a bound that dropped
    /// the prefill from the decode steps would move it into TTFT, and its TTFT would exceed the estimate's.
    public var atSpeedOfLight: Efficiency {
        var bound = Efficiency.speedOfLight
        bound.prefillInterference = prefillInterference
        bound.prefillBatching = prefillBatching
        bound.lockstep = lockstep
        return bound
    }

    /// No losses at all: the speed-of-light bound.
    public static let speedOfLight = Efficiency(memory: 1, compute: 1, fixedMilliseconds: 0, perLayerMicroseconds: 0, prefillBatching: 0,
                                                prefillInterference: 0, collectiveLatencyMicroseconds: 0, provenance: "speed of light")

    /// Creates parameters.
    public init(memory: Double, compute: Double, fixedMilliseconds: Double, perLayerMicroseconds: Double, prefillBatching: Double,
                prefillInterference: Double, collectiveLatencyMicroseconds: Double, provenance: String) {
        self.memory = memory
        self.compute = compute
        self.fixedMilliseconds = fixedMilliseconds
        self.perLayerMicroseconds = perLayerMicroseconds
        self.prefillBatching = prefillBatching
        self.prefillInterference = prefillInterference
        self.collectiveLatencyMicroseconds = collectiveLatencyMicroseconds
        self.provenance = provenance
    }

    enum CodingKeys: String, CodingKey {
        case memory = "memory_efficiency", compute = "compute_efficiency", fixedMilliseconds = "fixed_ms"
        case perLayerMicroseconds = "per_layer_us", prefillBatching = "prefill_batching"
        case prefillInterference = "prefill_interference", collectiveLatencyMicroseconds = "collective_latency_us", provenance
        case requestMilliseconds = "request_ms", communication = "communication_exposed", lockstep = "clients_in_lockstep"
        case simulatedRequestMilliseconds = "simulated_request_ms"
    }

    /// Reads efficiencies; a calibration written before the per-request cost existed has none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(memory: try c.decode(Double.self, forKey: .memory), compute: try c.decode(Double.self, forKey: .compute),
                  fixedMilliseconds: try c.decode(Double.self, forKey: .fixedMilliseconds),
                  perLayerMicroseconds: try c.decode(Double.self, forKey: .perLayerMicroseconds),
                  prefillBatching: try c.decode(Double.self, forKey: .prefillBatching),
                  prefillInterference: try c.decode(Double.self, forKey: .prefillInterference),
                  collectiveLatencyMicroseconds: try c.decode(Double.self, forKey: .collectiveLatencyMicroseconds),
                  provenance: try c.decode(String.self, forKey: .provenance))
        requestMilliseconds = try c.decodeIfPresent(Double.self, forKey: .requestMilliseconds) ?? 0
        communication = try c.decodeIfPresent(Double.self, forKey: .communication) ?? 1
        lockstep = try c.decodeIfPresent(Double.self, forKey: .lockstep) ?? 0
        simulatedRequestMilliseconds = try c.decodeIfPresent(Double.self, forKey: .simulatedRequestMilliseconds)
    }
}
