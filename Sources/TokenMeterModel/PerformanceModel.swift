import Foundation
import TokenMeterCore

/// The few numbers a roofline cannot know and calibration fits, per (hardware, engine, precision).
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
    /// Where these came from: `prior`, `measured` (fitted on this hardware) or `transferred` (fitted on another of its family).
    public var provenance: String

    /// Stated priors: HBM efficiency 0.8, per-op latency 3 µs and 10 µs p2p latency are aiconfigurator's empirical factors (REFERENCE.md);
    /// compute 0.6, a 2 ms step overhead and steady-state (unsynchronized) arrivals are assumptions until calibrated.
    public static let prior = Efficiency(memory: 0.8, compute: 0.6, fixedMilliseconds: 2, perLayerMicroseconds: 24, prefillBatching: 0,
                                         prefillInterference: 1, collectiveLatencyMicroseconds: 10, provenance: "prior")

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
    }
}

/// A model on hardware at a precision and layout.
public struct Deployment: Sendable, Equatable {
    /// The model.
    public var model: ModelArchitecture
    /// The GPU.
    public var hardware: HardwareSpec
    /// Weight precision.
    public var precision: Precision
    /// Layout of one replica.
    public var parallelism: Parallelism

    /// Creates a deployment.
    public init(model: ModelArchitecture, hardware: HardwareSpec, precision: Precision, parallelism: Parallelism) {
        self.model = model
        self.hardware = hardware
        self.precision = precision
        self.parallelism = parallelism
    }
}

/// Where one engine step's time goes.
public struct StepTime: Sendable, Equatable {
    /// Tensor-core time (FLOPs over achieved peak), s.
    public var compute: Double
    /// HBM time (weight and KV bytes over achieved bandwidth), s.
    public var memory: Double
    /// Collectives (TP all-reduce, EP all-to-all, PP hand-offs), s.
    public var communication: Double
    /// Fixed and per-layer overhead, s.
    public var overhead: Double

    /// The step: overhead + max(compute, memory) + communication.
    public var total: Double { overhead + max(compute, memory) + communication }
    /// `compute` or `memory`, whichever bounds the step.
    public var bound: String { compute > memory ? "compute" : "memory" }
}

/// Predicted serving figures at one concurrency.
public struct ServingPrediction: Sendable, Equatable {
    /// Concurrency (sequences in flight per replica).
    public var concurrency: Int
    /// Time to first token, ms.
    public var ttftMilliseconds: Double
    /// Time per output token, ms.
    public var tpotMilliseconds: Double
    /// Output tok/s per GPU.
    public var outputPerGPU: Double
    /// Input tok/s per GPU.
    public var inputPerGPU: Double
    /// tok/s per user (1000 / TPOT).
    public var interactivity: Double
    /// What bounds a decode step.
    public var bound: String
    /// The memory plan at this concurrency.
    public var memory: MemoryPlan
}

/// The roofline-plus-overhead model of engine steps and of aggregated continuous-batching serving.
public struct PerformanceModel: Sendable {
    /// What is deployed.
    public var deployment: Deployment
    /// Calibrated (or prior) efficiencies.
    public var efficiency: Efficiency
    /// Largest prefill chunk per step (tokens).
    public var prefillChunkTokens: Int

    /// Creates a model.
    public init(deployment: Deployment, efficiency: Efficiency = .prior, prefillChunkTokens: Int = 8192) {
        self.deployment = deployment
        self.efficiency = efficiency
        self.prefillChunkTokens = prefillChunkTokens
    }

    /// Expected distinct experts touched by `tokens` tokens routed top-k of E uniformly: `E(1 − (1 − k/E)^T)`.
    public static func expertsTouched(experts: Int, topK: Int, tokens: Double) -> Double {
        guard tokens > 0 else { return 0 }
        return Double(experts) * (1 - pow(1 - Double(topK) / Double(experts), tokens))
    }

    /// One step: `decoding` sequences at mean context `context`, plus `prefillTokens` prompt tokens of prompts `promptLength` long.
    public func step(decoding: Double, context: Double, prefillTokens: Double, promptLength: Double) -> StepTime {
        let m = deployment.model
        let hw = deployment.hardware
        let p = deployment.parallelism
        let e = efficiency
        let tp = Double(p.tensor)
        let dp = Double(p.attentionData)
        let wb = deployment.precision.weightBytes
        let layers = Double(m.layers)
        // Tokens of one attention group, and of the whole replica (what the experts see).
        let groupTokens = (decoding + prefillTokens) / dp
        let allTokens = decoding + prefillTokens

        // Dense part (attention, dense FFN layers, shared experts, LM head): TP-sharded, replicated over DP groups.
        var denseParameters = m.attentionParametersPerLayer * layers + 3 * Double(m.hidden * m.denseIntermediate) * Double(m.moe?.firstDenseLayers ?? m.layers)
        denseParameters += m.tiedEmbeddings ? m.embeddingParameters : m.outputProjectionParameters
        var linearFLOPs = 2 * denseParameters * groupTokens / tp
        var weightBytes = denseParameters * wb / tp
        if let moe = m.moe {
            let expertParameters = 3 * Double(m.hidden * moe.expertIntermediate)
            let sharedParameters = expertParameters * Double(moe.sharedExperts) * Double(m.moeLayers)
            linearFLOPs += 2 * sharedParameters * groupTokens / tp
            weightBytes += sharedParameters * wb / tp
            let shards = Double(p.expert * p.expertTensor)
            linearFLOPs += 2 * expertParameters * Double(moe.topK) * allTokens * Double(m.moeLayers) / shards
            let touched = Self.expertsTouched(experts: moe.routedExperts, topK: moe.topK, tokens: allTokens)
            weightBytes += touched * expertParameters * wb * Double(m.moeLayers) / shards
        }

        // Attention: KV reads of the decoding sequences, and the attention FLOPs of decode and prefill.
        let a = m.attention
        let kvShare: Double = a.kind == .mla ? 1 : max(1, Double(a.kvHeads) / tp) / Double(a.kvHeads)
        let kvPerSequence = m.kvBytes(context: Int(context.rounded()), bytesPerElement: deployment.precision.kvBytes)
        let kvBytes = kvPerSequence * kvShare * decoding / dp
        var attentionFLOPs: Double
        let window = Double(a.slidingWindow ?? Int.max)
        let slidingShare = a.slidingLayers.isEmpty ? 0 : Double(a.slidingLayers.filter { $0 }.count) / layers
        let effectiveContext = (1 - slidingShare) * context + slidingShare * min(context, window)
        switch a.kind {
        case .gqa:
            attentionFLOPs = 4 * Double(a.heads * a.headDim) * effectiveContext * layers * decoding / dp
            attentionFLOPs += 2 * Double(a.heads * a.headDim) * promptLength * prefillTokens * layers / dp
        case .mla:
            attentionFLOPs = 2 * Double(a.heads) * Double(a.kvLoraRank + a.ropeHeadDim + a.kvLoraRank) * effectiveContext * layers * decoding / dp
            attentionFLOPs += Double(a.heads) * Double(a.nopeHeadDim + a.ropeHeadDim + a.valueHeadDim) * promptLength * prefillTokens * layers / dp
        }
        attentionFLOPs /= tp  // heads are split over TP ranks (MLA replicates only its latent KV)

        let compute = linearFLOPs / (hw.peak(deployment.precision) * e.compute) + attentionFLOPs / (hw.peak(.bf16) * e.compute)
        let memory = (weightBytes + kvBytes) / (hw.memoryBytesPerSecond * e.memory)

        // Collectives: two TP all-reduces per layer (ring), an EP dispatch + combine per MoE layer, PP hand-offs.
        let latency = e.collectiveLatencyMicroseconds / 1e6
        var communication = 0.0
        if p.tensor > 1 {
            let n = tp
            let message = groupTokens * Double(m.hidden) * 2
            communication += 2 * layers * (latency * 2 * (n - 1) + 2 * (n - 1) / n * message / hw.scaleUpBytesPerSecond)
        }
        if p.expert > 1, let moe = m.moe {
            let n = Double(p.expert)
            let bytes = groupTokens * Double(moe.topK * m.hidden) * 3 * (n - 1) / n
            communication += Double(m.moeLayers) * (2 * latency + bytes / hw.scaleUpBytesPerSecond)
        }
        communication += Double(p.pipeline - 1) * latency
        let overhead = e.fixedMilliseconds / 1000 + layers * e.perLayerMicroseconds / 1e6
        return StepTime(compute: compute, memory: memory, communication: communication, overhead: overhead)
    }

    /// What one GPU holds at a concurrency (weights, KV at full context, activations, a reserve).
    public func memoryPlan(concurrency: Int, inputLength: Int, outputLength: Int) -> MemoryPlan {
        let m = deployment.model
        let p = deployment.parallelism
        let wb = deployment.precision.weightBytes
        var dense = m.totalParameters
        var experts = 0.0
        if let moe = m.moe {
            experts = 3 * Double(m.hidden * moe.expertIntermediate) * Double(moe.routedExperts) * Double(m.moeLayers)
            dense -= experts
        }
        let weights = (dense / Double(p.tensor) + experts / Double(p.expert * p.expertTensor)) * wb / Double(p.pipeline)
        let a = m.attention
        let kvShare: Double = a.kind == .mla ? 1 : max(1, Double(a.kvHeads) / Double(p.tensor)) / Double(a.kvHeads)
        let kv = m.kvBytes(context: inputLength + outputLength, bytesPerElement: deployment.precision.kvBytes) * kvShare
            * Double(concurrency) / Double(p.attentionData) / Double(p.pipeline)
        let activations = Double(min(prefillChunkTokens, max(inputLength, 1))) * Double(m.hidden) * 2 * 8
        return MemoryPlan(weightBytes: weights, kvBytes: kv, activationBytes: activations, reserveBytes: 3e9,
                          capacityBytes: deployment.hardware.memoryBytes)
    }

    /// Aggregated continuous batching at `concurrency` sequences per replica.
    ///
    /// Each decode step also prefills, amortised, `concurrency × isl / osl` prompt tokens. A new request waits half a step,
    /// then its prompt is prefilled in chunks together with the others waiting for a first token: by Little's law
    /// `concurrency × TTFT / E2E` of them in steady state (solved as a fixed point), raised towards the whole concurrency by
    /// `prefillBatching` when a benchmark's requests start and finish in synchronized waves.
    public func aggregated(concurrency: Int, inputLength isl: Int, outputLength osl: Int) -> ServingPrediction {
        let memory = memoryPlan(concurrency: concurrency, inputLength: isl, outputLength: osl)
        // The engine keeps only as many sequences running as its KV cache holds (at their mean context, since engines
        // admit on current use and grow); the rest wait for a slot.
        let meanContextPlan = memoryPlan(concurrency: concurrency, inputLength: isl, outputLength: osl / 2)
        let perSequenceKV = meanContextPlan.kvBytes / Double(max(concurrency, 1))
        let free = memory.capacityBytes - memory.weightBytes - memory.activationBytes - memory.reserveBytes
        let capacity = perSequenceKV > 0 ? max(1, (free / perSequenceKV).rounded(.down)) : Double(concurrency)
        let c = min(Double(max(concurrency, 1)), capacity)
        let queued = Double(max(concurrency, 1)) - c
        let context = Double(isl) + Double(osl) / 2
        let decodeStep = step(decoding: c, context: context,
                              prefillTokens: efficiency.prefillInterference * c * Double(isl) / Double(max(osl, 1)), promptLength: Double(isl))
        let tpot = decodeStep.total
        func firstToken(waiting: Double) -> Double {
            let promptTokens = waiting * Double(isl)
            let chunks = max(1, (promptTokens / Double(prefillChunkTokens)).rounded(.up))
            let chunkStep = step(decoding: max(0, c - waiting), context: context, prefillTokens: promptTokens / chunks, promptLength: Double(isl))
            return tpot / 2 + chunks * chunkStep.total
        }
        var ttft = firstToken(waiting: 1)
        for _ in 0..<20 {
            let steady = max(1, c * ttft / (ttft + Double(max(osl - 1, 0)) * tpot))
            let waiting = steady + efficiency.prefillBatching * (c - steady)
            let next = firstToken(waiting: waiting)
            if abs(next - ttft) < 1e-6 * ttft { ttft = next; break }
            ttft = next
        }
        let gpus = Double(deployment.parallelism.gpus)
        let e2e = (Double(osl) - 1) * tpot + ttft
        // Little's law: requests complete at c / e2e per second; the queued ones wait queued / that rate.
        let wait = queued > 0 ? queued * e2e / c : 0
        let output = c / e2e * Double(osl) / gpus
        return ServingPrediction(
            concurrency: concurrency, ttftMilliseconds: (ttft + wait) * 1000, tpotMilliseconds: tpot * 1000, outputPerGPU: output,
            inputPerGPU: output * Double(isl) / Double(max(osl, 1)), interactivity: 1 / tpot, bound: decodeStep.bound, memory: memory)
    }
}
