import TokenMeterCore

/// One request whose counts disagree.
public struct RequestTokenDiscrepancy: Codable, Sendable, Equatable {
    /// Request id within its point.
    public var id: Int
    /// `output` or `prompt`.
    public var kind: String
    /// What the server's `usage` said.
    public var usage: Int
    /// What the local tokenizer counted (for prompts: plus the point's usual per-request offset).
    public var local: Int
}

/// A point's tokens counted three ways: the server's `usage`, the local tokenizer on the prompt and the joined output text, and
/// the server's own Prometheus counters over the window; with the known reasons they differ told apart from real disagreement.
public struct TokenReconciliation: Codable, Sendable, Equatable {
    /// Requests compared: every completed one with usage, warm-up included (the server's counters count those too).
    public var requests: Int
    /// Prompt tokens by usage.
    public var usagePromptTokens: Int
    /// Output tokens by usage.
    public var usageOutputTokens: Int
    /// Prompt tokens by the local tokenizer (nil without one).
    public var localPromptTokens: Int?
    /// Output tokens of the joined text by the local tokenizer (nil without one).
    public var localOutputTokens: Int?
    /// Prompt tokens by the server's counter over the point (every request that reached it).
    public var serverPromptTokens: Double?
    /// Generated tokens by the server's counter over the point.
    public var serverOutputTokens: Double?
    /// The usual per-request difference usage − local for prompts (a chat template, or special tokens the local count left out).
    public var promptOffsetPerRequest: Int?
    /// Requests whose prompt count differs from local + the usual offset.
    public var promptMismatches: Int
    /// Requests whose output count differs from the local count (an end-of-sequence token that is not text is allowed).
    public var outputMismatches: Int
    /// Prompt tokens usage says came from the prefix cache (`prompt_tokens_details.cached_tokens`).
    public var cachedPromptTokens: Int
    /// Requests with cached prompt tokens.
    public var cachedRequests: Int
    /// Requests whose stream carried usage in more than one chunk.
    public var usageRepeatedRequests: Int
    /// Requests whose usage frames went down (per-chunk counts, not running totals).
    public var usageDecreasedRequests: Int
    /// The largest disagreements, at most 20.
    public var discrepancies: [RequestTokenDiscrepancy]
    /// What differs for a known reason, in words.
    public var findings: [String]
    /// What disagrees, in words (also the point's warnings).
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case requests, usagePromptTokens = "usage_prompt_tokens", usageOutputTokens = "usage_output_tokens"
        case localPromptTokens = "local_prompt_tokens", localOutputTokens = "local_output_tokens"
        case serverPromptTokens = "server_prompt_tokens", serverOutputTokens = "server_output_tokens"
        case promptOffsetPerRequest = "prompt_offset_per_request", promptMismatches = "prompt_mismatches"
        case outputMismatches = "output_mismatches", cachedPromptTokens = "cached_prompt_tokens", cachedRequests = "cached_requests"
        case usageRepeatedRequests = "usage_repeated_requests", usageDecreasedRequests = "usage_decreased_requests", discrepancies
        case findings, warnings
    }

    /// Reconciles a point's records; `localPrompts` says the planned prompt lengths came from the local tokenizer; `server` is
    /// the point's Prometheus summary when the server was scraped.
    public init(records: [RequestRecord], localPrompts: Bool, server: ServerMetricsSummary?) {
        let compared = records.filter { $0.completedNanoseconds != nil && $0.failure == nil && $0.usage != nil }
        requests = compared.count
        usagePromptTokens = compared.reduce(0) { $0 + ($1.usage?.promptTokens ?? 0) }
        usageOutputTokens = compared.reduce(0) { $0 + ($1.usage?.completionTokens ?? 0) }
        serverPromptTokens = server?.serverPromptTokens
        serverOutputTokens = server?.serverGenerationTokens
        var findings: [String] = []
        var warnings: [String] = []
        var discrepancies: [RequestTokenDiscrepancy] = []

        // Output: local tokenizer on the joined text vs usage.
        let withLocal = compared.filter { $0.localOutputTokens != nil }
        localOutputTokens = withLocal.isEmpty ? nil : withLocal.reduce(0) { $0 + ($1.localOutputTokens ?? 0) }
        var eosAllowed = 0
        outputMismatches = 0
        for r in withLocal {
            guard let usage = r.usage?.completionTokens, let local = r.localOutputTokens, usage != local else { continue }
            if r.finishReason == "stop", local == usage - 1 {
                eosAllowed += 1
                continue
            }
            outputMismatches += 1
            discrepancies.append(RequestTokenDiscrepancy(id: r.id, kind: "output", usage: usage, local: local))
        }
        if let local = localOutputTokens, outputMismatches > 0 {
            let usageTotal = withLocal.reduce(0) { $0 + ($1.usage?.completionTokens ?? 0) }
            warnings.append("the local tokenizer counts \(local) output tokens in the joined text where usage says \(usageTotal) "
                + "(\(Self.percent(Double(local), usageTotal))); \(outputMismatches) of \(withLocal.count) requests differ — a different "
                + "tokenizer, or a model whose tokens re-encode differently")
        }
        if eosAllowed > 0 {
            findings.append("\(eosAllowed) requests stopped on an end-of-sequence token that usage counts and the text does not show")
        }

        // Prompt: local tokenizer (planned exact lengths) vs usage, allowing a constant per-request offset.
        if localPrompts {
            let offsets = compared.map { ($0, ($0.usage?.promptTokens ?? 0) - $0.promptTokensPlanned) }
            let sorted = offsets.map(\.1).sorted()
            let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            localPromptTokens = compared.reduce(0) { $0 + $1.promptTokensPlanned }
            promptOffsetPerRequest = compared.isEmpty ? nil : median
            let off = offsets.filter { $0.1 != median }
            promptMismatches = off.count
            discrepancies += off.map {
                RequestTokenDiscrepancy(id: $0.0.id, kind: "prompt", usage: $0.0.usage?.promptTokens ?? 0, local: $0.0.promptTokensPlanned + median)
            }
            if median != 0 {
                findings.append("usage counts \(median) \(median > 0 ? "more" : "fewer") prompt tokens per request than the local "
                    + "tokenizer (a chat template, or special tokens the local count leaves out)")
            }
            if !off.isEmpty {
                warnings.append("\(off.count) of \(compared.count) requests had a prompt count that differs from the local tokenizer's "
                    + "beyond the usual offset of \(median)")
            }
        } else {
            localPromptTokens = nil
            promptOffsetPerRequest = nil
            promptMismatches = 0
        }

        // Prompt tokens served from the prefix cache, which usage counts as input.
        let cached = compared.filter { ($0.usage?.cachedPromptTokens ?? 0) > 0 }
        cachedRequests = cached.count
        cachedPromptTokens = cached.reduce(0) { $0 + ($1.usage?.cachedPromptTokens ?? 0) }
        if cachedPromptTokens > 0 {
            findings.append("\(cachedRequests) requests had \(cachedPromptTokens) prompt tokens served from the prefix cache; usage counts "
                + "them as input (\(Self.share(cachedPromptTokens, of: usagePromptTokens)) of the prompt tokens)")
        }

        // Usage repeated in every chunk, and usage frames that are not running totals.
        usageRepeatedRequests = records.filter { ($0.usageFrames ?? 0) > 1 }.count
        usageDecreasedRequests = records.filter { $0.usageDecreased == true }.count
        if usageRepeatedRequests > 0 {
            findings.append("\(usageRepeatedRequests) requests carried usage in more than one chunk (continuous usage); the counts are "
                + "running totals, so the last one is used, not their sum")
        }
        if usageDecreasedRequests > 0 {
            warnings.append("\(usageDecreasedRequests) requests had usage frames that went down — per-chunk counts, not running totals — "
                + "so their output token counts (the last frame) are likely too low")
        }

        // The server's counters, over every request that reached it.
        if let server {
            func check(_ counted: Double?, _ client: Int, what: String, clientName: String, hint: String) {
                guard let counted, client > 0 else { return }
                let diff = (counted - Double(client)) / Double(client) * 100
                guard abs(diff) > 1 else { return }
                warnings.append("the server counted \(Int(counted)) \(what), \(clientName) \(client) (\(Int(diff.rounded()))%)\(hint)")
            }
            check(server.serverGenerationTokens, server.clientOutputTokens, what: "generated tokens", clientName: "the client received", hint: "")
            // llama.cpp and SGLang count prompt tokens served from their cache apart: with them added, the counts may agree.
            if let prompt = server.serverPromptTokens, let cachedByServer = server.serverCachedPromptTokens, cachedByServer > 0,
               server.clientPromptTokens > 0, abs(prompt + cachedByServer - Double(server.clientPromptTokens)) <= 0.01 * Double(server.clientPromptTokens) {
                findings.append("the server's prompt counter leaves out the \(Int(cachedByServer)) prompt tokens it served from its cache, which "
                    + "it counts apart; with them it agrees with usage (\(server.clientPromptTokens))")
            } else {
                let cachedHint = (server.serverPromptTokens ?? 0) < Double(server.clientPromptTokens)
                    ? (cachedPromptTokens > 0 ? "; the server's counter appears to leave out the \(cachedPromptTokens) prefix-cached tokens"
                        : "; prefix-cached prompt tokens may be left out of the server's counter")
                    : ""
                check(server.serverPromptTokens, server.clientPromptTokens, what: "prompt tokens", clientName: "usage reported", hint: cachedHint)
            }
        }
        self.discrepancies = Array(discrepancies.sorted { abs($0.usage - $0.local) > abs($1.usage - $1.local) }.prefix(20))
        self.findings = findings
        self.warnings = warnings
    }

    private static func percent(_ value: Double, _ reference: Int) -> String {
        guard reference > 0 else { return "no usage" }
        let p = (value - Double(reference)) / Double(reference) * 100
        return (p >= 0 ? "+" : "") + p.formatted(decimals: 1) + "%"
    }

    private static func share(_ part: Int, of whole: Int) -> String {
        whole > 0 ? (Double(part) / Double(whole) * 100).formatted(decimals: 0) + "%" : "all"
    }
}
