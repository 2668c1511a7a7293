import Foundation
import TokenMeterCore

/// Speculative decoding: a drafter proposes `draftTokens` tokens, the target verifies them (and one more) in one step.
public struct Speculation: Sendable, Equatable {
    /// Who drafts.
    public enum Drafter: Sendable, Equatable {
        /// Multi-token-prediction heads of the model itself (DeepSeek-V3 MTP): one extra decoder layer and the LM head per
        /// drafted token.
        case mtp
        /// A separate, smaller model run on the same GPUs.
        case model(ModelArchitecture)
    }

    /// The drafter.
    public var drafter: Drafter
    /// Tokens drafted per step (γ).
    public var draftTokens: Int
    /// Probability that each drafted token is accepted, given the previous one was (α).
    public var acceptance: Double

    /// Creates a speculation setting; fails on an acceptance outside [0, 1) or γ < 1.
    public init(drafter: Drafter, draftTokens: Int, acceptance: Double) throws(ConfigError) {
        guard draftTokens >= 1, draftTokens <= 16 else {
            throw ConfigError(field: "mtp", message: "draft tokens must be between 1 and 16, not \(draftTokens)")
        }
        guard acceptance >= 0, acceptance < 1 else {
            throw ConfigError(field: "acceptance", message: "acceptance must be at least 0 and below 1, not \(acceptance)")
        }
        self.drafter = drafter
        self.draftTokens = draftTokens
        self.acceptance = acceptance
    }

    /// Expected tokens emitted per verify step: `(1 − α^(γ+1)) / (1 − α)` (REFERENCE.md).
    public var tokensPerStep: Double {
        (1 - pow(acceptance, Double(draftTokens + 1))) / (1 - acceptance)
    }
}

/// Serving features beyond plain continuous batching.
public struct ServingOptions: Sendable, Equatable {
    /// Speculative decoding or MTP, if used.
    public var speculation: Speculation?
    /// Share of each prompt's tokens found in the prefix cache (0…1): not prefilled again.
    public var prefixHitRate: Double
    /// Whether KV blocks may live in host memory: more sequences fit, at the cost of reading the host-resident share over
    /// the CPU–GPU link each step (and loading cached prefixes from there).
    public var kvOffload: Bool

    /// Creates options.
    public init(speculation: Speculation? = nil, prefixHitRate: Double = 0, kvOffload: Bool = false) throws(ConfigError) {
        guard prefixHitRate >= 0, prefixHitRate < 1 else {
            throw ConfigError(field: "prefix-hit", message: "the prefix-cache hit rate must be at least 0 and below 1, not \(prefixHitRate)")
        }
        self.speculation = speculation
        self.prefixHitRate = prefixHitRate
        self.kvOffload = kvOffload
    }

    /// Plain continuous batching.
    public static let none = try! ServingOptions()

    /// Prompt tokens that must be prefilled per request.
    func prefilledTokens(_ inputLength: Int) -> Double { Double(inputLength) * (1 - prefixHitRate) }

    /// Words for a header line.
    public var summary: String {
        var parts: [String] = []
        if let s = speculation {
            let who: String
            switch s.drafter {
            case .mtp: who = "MTP"
            case let .model(m): who = "draft \(m.id)"
            }
            parts.append("\(who) γ=\(s.draftTokens) α=\(s.acceptance) (\(String(format: "%.2f", s.tokensPerStep)) tokens/step)")
        }
        if prefixHitRate > 0 { parts.append("prefix hit \(Int((prefixHitRate * 100).rounded()))%") }
        if kvOffload { parts.append("KV offload to host") }
        return parts.isEmpty ? "plain continuous batching" : parts.joined(separator: ", ")
    }
}
