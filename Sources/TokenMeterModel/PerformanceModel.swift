import Foundation
import TokenMeterCore

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
        let hw = deployment.hardware
        let e = efficiency
        let dp = Double(deployment.parallelism.attentionData)
        let decodeTokens = decoding * queryTokens
        // Tokens of one attention group, and of the whole replica (what the experts see).
        let groupTokens = (decodeTokens + prefillTokens) / dp
        let linear = linearWork(groupTokens: groupTokens, allTokens: decodeTokens + prefillTokens)
        let attention = attentionWork(decoding: decoding, decodeTokens: decodeTokens, context: context,
                                      prefillTokens: prefillTokens, promptLength: promptLength)

        let q = deployment.precision, dq = deployment.densePrecision
        let compute = linear.denseFLOPs / (hw.peak(dq) * dq.gemmUtilisation * e.compute) + linear.expertFLOPs / (hw.peak(q) * q.moeUtilisation * e.compute)
            + attention.flops / (hw.peak(.bf16) * e.compute)
        let memory = (linear.weightBytes + attention.kvBytes * (1 - hostResidentShare)) / (hw.memoryBytesPerSecond * e.memory)
        // The host-resident KV streams over the CPU–GPU link, which does not overlap the HBM reads of the same attention.
        let hostTransfer = attention.kvBytes * hostResidentShare / hw.hostLinkBytesPerSecond
        let overhead = e.fixedMilliseconds / 1000 + Double(deployment.model.layers) * e.perLayerMicroseconds / 1e6
        return StepTime(compute: compute, memory: memory, communication: communication(groupTokens: groupTokens) * e.communication + hostTransfer,
                        overhead: overhead)
    }

    /// The linear layers' FLOPs and the weight bytes read: the dense part (attention, dense FFN layers, shared experts, LM
    /// head) TP-sharded and replicated over DP groups; routed experts over the EP × expert-TP shards, each touched expert read once.
    func linearWork(groupTokens: Double, allTokens: Double) -> (denseFLOPs: Double, expertFLOPs: Double, weightBytes: Double) {
        let m = deployment.model
        let p = deployment.parallelism
        let tp = Double(p.tensor)
        let wb = deployment.precision.weightBytes, denseBytes = deployment.densePrecision.weightBytes
        var denseParameters = m.attentionParameters + 3 * Double(m.hidden * m.denseIntermediate) * Double(m.moe?.firstDenseLayers ?? m.layers)
        denseParameters += m.tiedEmbeddings ? m.embeddingParameters : m.outputProjectionParameters
        var linearFLOPs = 2 * denseParameters * groupTokens / tp
        var weightBytes = denseParameters * denseBytes / tp
        if let moe = m.moe {
            let expertParameters = 3 * Double(m.hidden * moe.expertIntermediate)
            let sharedParameters = expertParameters * Double(moe.sharedExperts) * Double(m.moeLayers)
            linearFLOPs += 2 * sharedParameters * groupTokens / tp
            weightBytes += sharedParameters * denseBytes / tp
            let shards = Double(p.expert * p.expertTensor)
            let expertFLOPs = 2 * expertParameters * Double(moe.topK) * allTokens * Double(m.moeLayers) / shards
            let touched = Self.expertsTouched(experts: moe.routedExperts, topK: moe.topK, tokens: allTokens)
            weightBytes += touched * expertParameters * wb * Double(m.moeLayers) / shards
            return (linearFLOPs, expertFLOPs, weightBytes)
        }
        return (linearFLOPs, 0, weightBytes)
    }

    /// Attention: the KV bytes the decoding sequences read, and the attention FLOPs of decode and prefill.
    func attentionWork(decoding: Double, decodeTokens: Double, context: Double, prefillTokens: Double,
                       promptLength: Double) -> (flops: Double, kvBytes: Double) {
        let m = deployment.model
        let a = m.attention
        let tp = Double(deployment.parallelism.tensor)
        let dp = Double(deployment.parallelism.attentionData)
        let kvShare: Double = a.kind == .mla ? 1 : max(1, Double(a.kvHeads) / tp) / Double(a.kvHeads)
        let kvPerSequence = m.kvReadBytes(context: context, bytesPerElement: deployment.precision.kvBytes)
        let kvBytes = kvPerSequence * kvShare * decoding / dp
        var attentionFLOPs: Double
        let window = Double(a.slidingWindow ?? Int.max)
        let slidingShare = a.slidingLayers.isEmpty ? 0 : Double(a.slidingLayers.filter { $0 }.count) / Double(m.layers)
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
        return (attentionFLOPs, kvBytes)
    }

    /// Collectives: two TP all-reduces per layer (ring), an EP dispatch + combine per MoE layer, PP hand-offs; each over the
    /// scale-up fabric inside one domain and over the scale-out NICs beyond it.
    func communication(groupTokens: Double) -> Double {
        let m = deployment.model
        let hw = deployment.hardware
        let p = deployment.parallelism
        let layers = Double(m.layers)
        let latency = efficiency.collectiveLatencyMicroseconds / 1e6
        var communication = 0.0
        if p.tensor > 1 {
            let n = Double(p.tensor)
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
        return communication
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

}
