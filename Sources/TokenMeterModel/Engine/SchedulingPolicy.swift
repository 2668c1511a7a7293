/// How an engine puts prefills and decodes into its steps: the one scheduler runs each engine's policy.
public enum SchedulingPolicy: String, Sendable, Equatable, CaseIterable {
    /// vLLM V1: every running sequence decodes, and waiting prompts are prefilled beside them in chunks up to what the
    /// step's token budget (`max_num_batched_tokens`) leaves after the decodes (chunked prefill, decodes first).
    case decodesFirst = "decodes-first"
    /// SGLang's default: when prompts wait and can be admitted, a step prefills them alone and the running sequences skip
    /// that step's decode.
    case prefillFirst = "prefill-first"
    /// TRT-LLM's in-flight batching: one token budget per step (`max_num_tokens`) covers the decodes and the prefill chunks —
    /// scheduled as vLLM's. Its default capacity policy (no eviction: a request's whole output reserved in the KV cache on
    /// admission) and context requests scheduled whole were tried on the Hopper data and raised TRT-LLM's TTFT error
    /// (45 → 47% and 49%); they are not modelled.
    case sharedTokenBudget = "shared-token-budget"

    /// Whether each attention-DP rank schedules its own steps with the whole token budget (so a replica's budget is DP times
    /// it): vLLM runs one engine core per DP rank, each with its own `max_num_batched_tokens`, and TRT-LLM's attention-DP
    /// ranks each schedule up to `max_num_tokens` (assumed: not confirmed from its source); SGLang divides
    /// `chunked_prefill_size` by the DP size when DP attention is on, so its ranks share one budget.
    public var budgetPerAttentionRank: Bool { self != .prefillFirst }

    /// The policy of an engine by its name in measured data or on the command line; decodes-first for any other.
    public init(engine: String) {
        switch engine.lowercased() {
        case "sglang": self = .prefillFirst
        case "trtllm", "tensorrt-llm", "trt-llm": self = .sharedTokenBudget
        default: self = .decodesFirst
        }
    }
}
