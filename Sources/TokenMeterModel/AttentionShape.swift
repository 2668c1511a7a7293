import Foundation
import TokenMeterCore

/// How a model attends: grouped-query (GQA/MHA) or DeepSeek-style multi-head latent attention (MLA).
public enum AttentionKind: String, Codable, Sendable {
    /// Grouped-query attention (MHA when KV heads = query heads).
    case gqa
    /// Multi-head latent attention: a compressed KV latent plus a shared RoPE key.
    case mla
}

/// Attention shapes of a model.
public struct AttentionShape: Codable, Sendable, Equatable {
    /// GQA or MLA.
    public var kind: AttentionKind
    /// Query heads.
    public var heads: Int
    /// Key/value heads (GQA).
    public var kvHeads: Int
    /// Head dimension (GQA).
    public var headDim: Int
    /// MLA: query low-rank dimension (0 = full-rank queries).
    public var qLoraRank: Int
    /// MLA: compressed KV dimension.
    public var kvLoraRank: Int
    /// MLA: RoPE key dimension.
    public var ropeHeadDim: Int
    /// MLA: non-RoPE query/key dimension per head.
    public var nopeHeadDim: Int
    /// MLA: value dimension per head.
    public var valueHeadDim: Int
    /// Sliding-window length of windowed layers, if any.
    public var slidingWindow: Int?
    /// Per layer: true when the layer attends only within the sliding window.
    public var slidingLayers: [Bool]
    /// Whether a sigmoid gate on the attention output doubles the query projection (Qwen3-Next / Qwen3.5 gated attention).
    public var outputGate: Bool = false
    /// DeepSeek sparse attention (DSA): each query attends only the top-k tokens an indexer picks; nil for dense attention.
    public var sparseTopK: Int? = nil
    /// DSA indexer heads.
    public var indexerHeads: Int = 0
    /// DSA indexer key dimension (one FP8 key per token per layer is cached beside the latent).
    public var indexerHeadDim: Int = 0
}

/// Linear-attention (Gated DeltaNet) layers of a hybrid model: a fixed-size state per sequence instead of a growing KV cache.
public struct LinearAttentionShape: Codable, Sendable, Equatable {
    /// Query/key heads.
    public var keyHeads: Int
    /// Value heads.
    public var valueHeads: Int
    /// Query/key head dimension.
    public var keyHeadDim: Int
    /// Value head dimension.
    public var valueHeadDim: Int
    /// Per layer: true for a linear-attention layer (the others use full attention).
    public var layers: [Bool]

    /// Linear layers.
    public var count: Int { layers.filter { $0 }.count }
    /// Parameters of one layer: q, k (key heads), v and the output gate z (value heads), and the output projection.
    func parameters(hidden: Int) -> Double {
        let h = Double(hidden)
        let qk = Double(keyHeads * keyHeadDim)
        let v = Double(valueHeads * valueHeadDim)
        return h * (2 * qk + 2 * v) + v * h
    }
    /// State elements per sequence per layer: one keyDim × valueDim matrix per value head.
    var stateElements: Double { Double(valueHeads * keyHeadDim * valueHeadDim) }
}
