import Foundation
import TokenMeterCore

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
    /// Sequences the KV cache keeps running (the rest of the concurrency waits for a slot).
    public var running: Int
    /// Share of the running sequences' KV held in host memory (KV offload), 0 without.
    public var hostShare: Double
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

    /// One step: `decoding` sequences at mean context `context`, each scoring `queryTokens` tokens (more than one when
    /// verifying drafted tokens), plus `prefillTokens` prompt tokens of prompts `promptLength` long. `hostResidentShare` of the
    /// decoding sequences' KV is read from host memory over the CPU–GPU link.
    public func step(decoding: Double, context: Double, prefillTokens: Double, promptLength: Double, queryTokens: Double = 1,
                     hostResidentShare: Double = 0) -> StepTime {
        let m = deployment.model
        let hw = deployment.hardware
        let p = deployment.parallelism
        let e = efficiency
        let tp = Double(p.tensor)
        let dp = Double(p.attentionData)
        let wb = deployment.precision.weightBytes
        let layers = Double(m.layers)
        let decodeTokens = decoding * queryTokens
        // Tokens of one attention group, and of the whole replica (what the experts see).
        let groupTokens = (decodeTokens + prefillTokens) / dp
        let allTokens = decodeTokens + prefillTokens

        // Dense part (attention, dense FFN layers, shared experts, LM head): TP-sharded, replicated over DP groups.
        var denseParameters = m.attentionParameters + 3 * Double(m.hidden * m.denseIntermediate) * Double(m.moe?.firstDenseLayers ?? m.layers)
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
        let kvPerSequence = m.kvReadBytes(context: context, bytesPerElement: deployment.precision.kvBytes)
        let kvBytes = kvPerSequence * kvShare * decoding / dp
        var attentionFLOPs: Double
        let window = Double(a.slidingWindow ?? Int.max)
        let slidingShare = a.slidingLayers.isEmpty ? 0 : Double(a.slidingLayers.filter { $0 }.count) / layers
        let effectiveContext = (1 - slidingShare) * m.attendedTokens(context) + slidingShare * min(context, window)
        let attendedPrompt = m.attendedTokens(promptLength)
        let attentionLayers = Double(m.fullAttentionLayers)
        switch a.kind {
        case .gqa:
            attentionFLOPs = 4 * Double(a.heads * a.headDim) * effectiveContext * attentionLayers * decodeTokens / dp
            attentionFLOPs += 2 * Double(a.heads * a.headDim) * attendedPrompt * prefillTokens * attentionLayers / dp
        case .mla:
            attentionFLOPs = 2 * Double(a.heads) * Double(a.kvLoraRank + a.ropeHeadDim + a.kvLoraRank) * effectiveContext * attentionLayers * decodeTokens / dp
            attentionFLOPs += Double(a.heads) * Double(a.nopeHeadDim + a.ropeHeadDim + a.valueHeadDim) * attendedPrompt * prefillTokens * attentionLayers / dp
        }
        // DSA's indexer scores every cached token for each query; linear-attention layers update a fixed state per token.
        attentionFLOPs += 2 * Double(a.indexerHeads * a.indexerHeadDim) * (context * decodeTokens + promptLength / 2 * prefillTokens) * attentionLayers / dp
        if let linear = m.linearAttention {
            attentionFLOPs += 6 * linear.stateElements * Double(linear.count) * (decodeTokens + prefillTokens) / dp
        }
        attentionFLOPs /= tp  // heads are split over TP ranks (MLA replicates only its latent KV)

        let compute = linearFLOPs / (hw.peak(deployment.precision) * e.compute) + attentionFLOPs / (hw.peak(.bf16) * e.compute)
        let memory = (weightBytes + kvBytes * (1 - hostResidentShare)) / (hw.memoryBytesPerSecond * e.memory)
        // The host-resident KV streams over the CPU–GPU link, which does not overlap the HBM reads of the same attention.
        let hostTransfer = kvBytes * hostResidentShare / hw.hostLinkBytesPerSecond

        // Collectives: two TP all-reduces per layer (ring), an EP dispatch + combine per MoE layer, PP hand-offs; each over the
        // scale-up fabric inside one domain and over the scale-out NICs beyond it.
        let latency = e.collectiveLatencyMicroseconds / 1e6
        var communication = 0.0
        if p.tensor > 1 {
            let n = tp
            let message = groupTokens * Double(m.hidden) * 2
            let bandwidth = hw.fabricBytesPerSecond(group: p.tensor)
            communication += 2 * layers * (latency * 2 * (n - 1) + 2 * (n - 1) / n * message / bandwidth)
        }
        if p.expert > 1, let moe = m.moe {
            let n = Double(p.expert)
            let bytes = groupTokens * Double(moe.topK * m.hidden) * 3 * (n - 1) / n
            let bandwidth = hw.fabricBytesPerSecond(group: p.gpus)
            communication += Double(m.moeLayers) * (2 * latency + bytes / bandwidth)
        }
        if p.pipeline > 1 {
            let message = groupTokens * Double(m.hidden) * 2
            communication += Double(p.pipeline - 1) * (latency + message / hw.fabricBytesPerSecond(group: p.gpus))
        }
        let overhead = e.fixedMilliseconds / 1000 + layers * e.perLayerMicroseconds / 1e6
        return StepTime(compute: compute, memory: memory, communication: communication + hostTransfer, overhead: overhead)
    }

    /// What one GPU holds at a concurrency (weights, KV at full context, activations, a reserve). `prefixHitRate` of each
    /// prompt is a shared cached prefix, held once rather than per sequence.
    public func memoryPlan(concurrency: Int, inputLength: Int, outputLength: Int, prefixHitRate: Double = 0) -> MemoryPlan {
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
        let shared = Int((Double(inputLength) * prefixHitRate).rounded())
        let own = kvPerSequencePerGPU(context: inputLength - shared + outputLength)
        let kv = (own * Double(concurrency) + kvPerSequencePerGPU(context: shared) * Double(p.attentionData)) / Double(p.attentionData)
        let activations = Double(min(prefillChunkTokens, max(inputLength, 1))) * Double(m.hidden) * 2 * 8
        return MemoryPlan(weightBytes: weights, kvBytes: kv, activationBytes: activations, reserveBytes: 3e9,
                          capacityBytes: deployment.hardware.memoryBytes)
    }

    /// KV bytes one sequence of `context` tokens puts on each GPU of its attention group and pipeline stage.
    func kvPerSequencePerGPU(context: Int) -> Double {
        let m = deployment.model
        let p = deployment.parallelism
        let a = m.attention
        let kvShare: Double = a.kind == .mla ? 1 : max(1, Double(a.kvHeads) / Double(p.tensor)) / Double(a.kvHeads)
        return (m.kvBytes(context: max(0, context), bytesPerElement: deployment.precision.kvBytes) + m.linearStateBytes) * kvShare / Double(p.pipeline)
    }

    /// Sequences the KV cache keeps running out of `concurrency`, and the share of their KV that must live in host memory.
    /// Engines admit on current use, so sequences count at their mean context (prompt plus half the output), the cached prefix
    /// once. With offload, host memory extends the cache.
    public func kvCapacity(concurrency: Int, inputLength: Int, outputLength: Int, options: ServingOptions = .none,
                           hostRunning: Bool = true) -> (running: Int, hostShare: Double)
    {
        let plan = memoryPlan(concurrency: concurrency, inputLength: inputLength, outputLength: outputLength,
                              prefixHitRate: options.prefixHitRate)
        let shared = Int((Double(inputLength) * options.prefixHitRate).rounded())
        let perSequence = kvPerSequencePerGPU(context: inputLength - shared + outputLength / 2) / Double(deployment.parallelism.attentionData)
        let hbm = max(0, plan.capacityBytes - plan.weightBytes - plan.activationBytes - plan.reserveBytes
            - kvPerSequencePerGPU(context: shared))
        let c = max(concurrency, 1)
        guard perSequence > 0 else { return (c, 0) }
        let host = options.kvOffload && hostRunning ? deployment.hardware.hostMemoryBytes : 0
        let running = min(c, max(1, Int(((hbm + host) / perSequence).rounded(.down))))
        let needed = Double(running) * perSequence
        let hostShare = needed > hbm ? (needed - hbm) / needed : 0
        return (running, hostShare)
    }

    /// Time per output token of a decode step with `running` sequences at `context`, carrying `prefillTokens` prompt tokens:
    /// with speculation, one verify step of γ + 1 tokens per sequence plus the drafting, divided by the expected tokens per
    /// step. Returns the time per token and the verify step.
    public func decodeTime(running: Double, context: Double, prefillTokens: Double, promptLength: Double,
                           speculation: Speculation?, hostShare: Double = 0) -> (perToken: Double, step: StepTime)
    {
        guard let speculation else {
            let s = step(decoding: running, context: context, prefillTokens: prefillTokens, promptLength: promptLength, hostResidentShare: hostShare)
            return (s.total, s)
        }
        let verify = step(decoding: running, context: context, prefillTokens: prefillTokens, promptLength: promptLength,
                          queryTokens: Double(speculation.draftTokens + 1), hostResidentShare: hostShare)
        let draft = Double(speculation.draftTokens) * draftStep(running: running, context: context, drafter: speculation.drafter)
        return ((verify.total + draft) / speculation.tokensPerStep, verify)
    }

    /// One drafting pass for `running` sequences: MTP runs one more decoder layer and the LM head; a draft model runs whole.
    func draftStep(running: Double, context: Double, drafter: Speculation.Drafter) -> Double {
        var draft = self
        switch drafter {
        case .mtp:
            var layer = deployment.model
            layer.layers = 1
            if var moe = layer.moe {
                moe.firstDenseLayers = 0
                layer.moe = moe
            }
            layer.attention.slidingLayers = []
            draft.deployment.model = layer
            draft.efficiency.fixedMilliseconds = 0
        case let .model(model):
            draft.deployment.model = model
            draft.deployment.parallelism = Parallelism(tensor: deployment.parallelism.tensor, attentionData: deployment.parallelism.attentionData)
        }
        return draft.step(decoding: running, context: context, prefillTokens: 0, promptLength: 0).total
    }

    /// Aggregated continuous batching at `concurrency` sequences per replica.
    ///
    /// Each decode step also prefills, amortised, `running × isl′ / osl` prompt tokens per emitted token (isl′: the prompt
    /// tokens not served from the prefix cache). A new request waits half a step, then its prompt is prefilled in chunks
    /// together with the others waiting for a first token: by Little's law `running × TTFT / E2E` of them in steady state
    /// (solved as a fixed point), raised towards the whole concurrency by `prefillBatching` when a benchmark's requests start
    /// and finish in synchronized waves. Sequences beyond the KV capacity queue for a slot (Little's law). With KV offload,
    /// running sequences spill to host memory only when that beats queueing them (as engines preempt rather than stream KV
    /// over PCIe); cached prefixes always may live there.
    public func aggregated(concurrency: Int, inputLength isl: Int, outputLength osl: Int, options: ServingOptions = .none) -> ServingPrediction {
        let spilled = aggregated(concurrency: concurrency, inputLength: isl, outputLength: osl, options: options, hostRunning: true)
        guard options.kvOffload, spilled.hostShare > 0 else { return spilled }
        let queued = aggregated(concurrency: concurrency, inputLength: isl, outputLength: osl, options: options, hostRunning: false)
        return queued.outputPerGPU >= spilled.outputPerGPU ? queued : spilled
    }

    func aggregated(concurrency: Int, inputLength isl: Int, outputLength osl: Int, options: ServingOptions, hostRunning: Bool) -> ServingPrediction {
        let memory = memoryPlan(concurrency: concurrency, inputLength: isl, outputLength: osl, prefixHitRate: options.prefixHitRate)
        let capacity = kvCapacity(concurrency: concurrency, inputLength: isl, outputLength: osl, options: options, hostRunning: hostRunning)
        let c = Double(capacity.running)
        let queued = Double(max(concurrency, 1)) - c
        let context = Double(isl) + Double(osl) / 2
        let prompt = options.prefilledTokens(isl)
        let tokensPerStep = options.speculation?.tokensPerStep ?? 1
        let decode = decodeTime(running: c, context: context,
                                prefillTokens: efficiency.prefillInterference * c * prompt * tokensPerStep / Double(max(osl, 1)),
                                promptLength: Double(isl), speculation: options.speculation, hostShare: capacity.hostShare)
        let tpot = decode.perToken
        // Cached prefixes offloaded to host memory come back over the CPU–GPU link before the first token.
        let prefixLoad = options.kvOffload
            ? kvPerSequencePerGPU(context: isl - Int(prompt.rounded())) / deployment.hardware.hostLinkBytesPerSecond : 0
        func firstToken(waiting: Double) -> Double {
            let promptTokens = waiting * prompt
            let chunks = max(1, (promptTokens / Double(prefillChunkTokens)).rounded(.up))
            let chunkStep = step(decoding: max(0, c - waiting), context: context, prefillTokens: promptTokens / chunks,
                                 promptLength: Double(isl), hostResidentShare: capacity.hostShare)
            return decode.step.total / 2 + chunks * chunkStep.total + prefixLoad
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
            inputPerGPU: output * Double(isl) / Double(max(osl, 1)), interactivity: 1 / tpot, bound: decode.step.bound, memory: memory,
            running: capacity.running, hostShare: capacity.hostShare)
    }
}
