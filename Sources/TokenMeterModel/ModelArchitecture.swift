import Foundation
import TokenMeterCore

/// Mixture-of-experts shapes.
public struct MoEShape: Codable, Sendable, Equatable {
    /// Routed experts per MoE layer.
    public var routedExperts: Int
    /// Shared (always-on) experts per MoE layer.
    public var sharedExperts: Int
    /// Routed experts each token goes to.
    public var topK: Int
    /// Intermediate size of one expert's gated FFN.
    public var expertIntermediate: Int
    /// Leading layers that stay dense.
    public var firstDenseLayers: Int

    /// Creates MoE shapes.
    public init(routedExperts: Int, sharedExperts: Int, topK: Int, expertIntermediate: Int, firstDenseLayers: Int) {
        self.routedExperts = routedExperts
        self.sharedExperts = sharedExperts
        self.topK = topK
        self.expertIntermediate = expertIntermediate
        self.firstDenseLayers = firstDenseLayers
    }
}

/// A transformer's shapes, enough to count its parameters, FLOPs and KV cache.
public struct ModelArchitecture: Codable, Sendable, Equatable {
    /// Catalog id.
    public var id: String
    /// Display name.
    public var name: String
    /// Other names (Hugging Face ids).
    public var aliases: [String]
    /// Where the shapes come from.
    public var source: String
    /// Decoder layers.
    public var layers: Int
    /// Hidden size.
    public var hidden: Int
    /// Vocabulary size.
    public var vocabulary: Int
    /// Whether the output projection shares the input embedding.
    public var tiedEmbeddings: Bool
    /// Attention shapes.
    public var attention: AttentionShape
    /// Dense FFN intermediate size (dense models, and the dense layers of MoE models).
    public var denseIntermediate: Int
    /// MoE shapes, for MoE models.
    public var moe: MoEShape?
    /// Linear-attention layers of a hybrid model (Qwen3.5), nil when every layer uses full attention.
    public var linearAttention: LinearAttentionShape? = nil
    /// Whether the published checkpoint quantises only its routed experts: its `quantization_config` leaves the attention
    /// unconverted (`modules_to_not_convert` or `ignore` naming `self_attn`), as gpt-oss's MXFP4 does.
    public var expertsOnlyQuantised = false

    /// Layers with softmax attention and a KV cache.
    public var fullAttentionLayers: Int { layers - (linearAttention?.count ?? 0) }

    /// Attention parameters of all layers (full and linear).
    public var attentionParameters: Double {
        attentionParametersPerLayer * Double(fullAttentionLayers) + (linearAttention.map { $0.parameters(hidden: hidden) * Double($0.count) } ?? 0)
    }

    /// Bytes of linear-attention state one sequence holds, whatever its length (FP32 state, as engines keep it).
    public var linearStateBytes: Double {
        linearAttention.map { $0.stateElements * Double($0.count) * 4 } ?? 0
    }

    /// Tokens each query attends at `context`: all of them, or DSA's top-k.
    public func attendedTokens(_ context: Double) -> Double {
        sparseTopKCap(context)
    }

    private func sparseTopKCap(_ context: Double) -> Double {
        attention.sparseTopK.map { min(context, Double($0)) } ?? context
    }

    /// Bytes a decode step reads per sequence at `context`: the attended KV of the full-attention layers, DSA's indexer keys
    /// over the whole context, and the linear-attention state (read and written back).
    public func kvReadBytes(context: Double, bytesPerElement: Double) -> Double {
        let attended = kvBytes(context: Int(sparseTopKCap(context).rounded()), bytesPerElement: bytesPerElement)
            - indexerBytes(context: sparseTopKCap(context), bytesPerElement: bytesPerElement)
            + indexerBytes(context: context, bytesPerElement: bytesPerElement)
        return attended + 2 * linearStateBytes
    }

    /// DSA indexer key bytes over `context` tokens (one key per token per full-attention layer).
    func indexerBytes(context: Double, bytesPerElement: Double) -> Double {
        Double(attention.indexerHeadDim) * context * Double(fullAttentionLayers) * bytesPerElement
    }

    /// Parameters of one layer's attention block.
    public var attentionParametersPerLayer: Double {
        let h = Double(hidden)
        let a = attention
        switch a.kind {
        case .gqa:
            let q = h * Double(a.heads * a.headDim) * (a.outputGate ? 2 : 1)
            let kv = 2 * h * Double(a.kvHeads * a.headDim)
            let o = Double(a.heads * a.headDim) * h
            return q + kv + o
        case .mla:
            let qk = Double(a.nopeHeadDim + a.ropeHeadDim)
            let q = a.qLoraRank > 0 ? h * Double(a.qLoraRank) + Double(a.qLoraRank) * Double(a.heads) * qk : h * Double(a.heads) * qk
            let kv = h * Double(a.kvLoraRank + a.ropeHeadDim) + Double(a.kvLoraRank) * Double(a.heads * (a.nopeHeadDim + a.valueHeadDim))
            let o = Double(a.heads * a.valueHeadDim) * h
            // The DSA indexer: its own low-rank queries and one key projection.
            let indexer = a.sparseTopK == nil ? 0 : Double(a.qLoraRank * a.indexerHeads * a.indexerHeadDim) + h * Double(a.indexerHeadDim + a.indexerHeads)
            return q + kv + o + indexer
        }
    }

    /// Parameters of one gated FFN (three GEMMs: gate, up, down).
    func gatedFFN(_ intermediate: Int) -> Double { 3 * Double(hidden) * Double(intermediate) }

    /// Number of MoE layers.
    public var moeLayers: Int { moe.map { layers - $0.firstDenseLayers } ?? 0 }

    /// Input embedding parameters.
    public var embeddingParameters: Double { Double(vocabulary) * Double(hidden) }

    /// Output projection (LM head) parameters, zero when tied.
    public var outputProjectionParameters: Double { tiedEmbeddings ? 0 : Double(vocabulary) * Double(hidden) }

    /// Every parameter (norms and biases left out: under 0.1%).
    public var totalParameters: Double {
        let attentionAll = attentionParameters
        guard let moe else { return attentionAll + gatedFFN(denseIntermediate) * Double(layers) + embeddingParameters + outputProjectionParameters }
        let perMoELayer = gatedFFN(moe.expertIntermediate) * Double(moe.routedExperts + moe.sharedExperts)
            + Double(hidden) * Double(moe.routedExperts)
        return attentionAll + gatedFFN(denseIntermediate) * Double(moe.firstDenseLayers) + perMoELayer * Double(moeLayers)
            + embeddingParameters + outputProjectionParameters
    }

    /// Parameters one token multiplies through: everything but the embedding lookup and the experts it is not routed to.
    public var activeParameters: Double {
        let attentionAll = attentionParameters
        let head = tiedEmbeddings ? embeddingParameters : outputProjectionParameters
        guard let moe else { return attentionAll + gatedFFN(denseIntermediate) * Double(layers) + head }
        let perMoELayer = gatedFFN(moe.expertIntermediate) * Double(moe.topK + moe.sharedExperts) + Double(hidden) * Double(moe.routedExperts)
        return attentionAll + gatedFFN(denseIntermediate) * Double(moe.firstDenseLayers) + perMoELayer * Double(moeLayers) + head
    }

    /// Linear-layer FLOPs per token: `2 × active parameters`.
    public var linearFLOPsPerToken: Double { 2 * activeParameters }

    /// KV-cache elements one token adds to one full-attention layer (GQA: K and V per KV head; MLA: the latent plus the RoPE
    /// key, and DSA's indexer key).
    public var kvElementsPerTokenPerLayer: Int {
        switch attention.kind {
        case .gqa: 2 * attention.kvHeads * attention.headDim
        case .mla: attention.kvLoraRank + attention.ropeHeadDim + attention.indexerHeadDim
        }
    }

    /// KV-cache bytes per token over all layers at a context short enough that no sliding window clips it.
    public func kvBytesPerToken(bytesPerElement: Double) -> Double {
        Double(fullAttentionLayers * kvElementsPerTokenPerLayer) * bytesPerElement
    }

    /// KV-cache bytes one sequence holds at `context` tokens, sliding-window layers capped at their window.
    public func kvBytes(context: Int, bytesPerElement: Double) -> Double {
        let perLayer = Double(kvElementsPerTokenPerLayer) * bytesPerElement
        var tokens = 0.0
        for layer in 0..<layers where !(linearAttention?.layers.indices.contains(layer) == true && linearAttention!.layers[layer]) {
            let sliding = attention.slidingLayers.indices.contains(layer) && attention.slidingLayers[layer]
            tokens += Double(sliding ? min(context, attention.slidingWindow ?? context) : context)
        }
        return tokens * perLayer
    }
}
