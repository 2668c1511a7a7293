import TokenMeterCore
import TokenMeterResults

extension TokenReconciliation {
    /// Reconciles a point's records; `localPrompts` says the planned prompt lengths came from the local tokenizer; `server` is
    /// the point's Prometheus summary when the server was scraped.
    public init(records: [RequestRecord], localPrompts: Bool, server: ServerMetricsSummary?) {
        let compared = records.filter { $0.completedNanoseconds != nil && $0.failure == nil && $0.usage != nil }
        let usagePrompt = compared.reduce(0) { $0 + ($1.usage?.promptTokens ?? 0) }
        var notes = Notes()
        let output = Self.outputCounts(compared, into: &notes)
        let prompt = localPrompts ? Self.promptCounts(compared, into: &notes) : PromptCounts()
        let cached = compared.filter { ($0.usage?.cachedPromptTokens ?? 0) > 0 }
        let cachedTokens = cached.reduce(0) { $0 + ($1.usage?.cachedPromptTokens ?? 0) }
        if cachedTokens > 0 {
            notes.findings.append("\(cached.count) requests had \(cachedTokens) prompt tokens served from the prefix cache; usage counts "
                + "them as input (\(Self.share(cachedTokens, of: usagePrompt)) of the prompt tokens)")
        }
        let repeated = records.filter { ($0.usageFrames ?? 0) > 1 }.count
        let decreased = records.filter { $0.usageDecreased == true }.count
        Self.noteUsageFrames(repeated: repeated, decreased: decreased, into: &notes)
        if let server { Self.checkServerCounters(server, cachedPromptTokens: cachedTokens, into: &notes) }
        self.init(
            requests: compared.count, usagePromptTokens: usagePrompt, usageOutputTokens: compared.reduce(0) { $0 + ($1.usage?.completionTokens ?? 0) },
            localPromptTokens: prompt.local, localOutputTokens: output.local, serverPromptTokens: server?.serverPromptTokens,
            serverOutputTokens: server?.serverGenerationTokens, promptOffsetPerRequest: prompt.offset, promptMismatches: prompt.mismatches,
            outputMismatches: output.mismatches, cachedPromptTokens: cachedTokens, cachedRequests: cached.count, usageRepeatedRequests: repeated,
            usageDecreasedRequests: decreased,
            discrepancies: Array(notes.discrepancies.sorted { abs($0.usage - $0.local) > abs($1.usage - $1.local) }.prefix(20)),
            findings: notes.findings, warnings: notes.warnings)
    }

    /// What the checks found, as they go.
    struct Notes {
        var findings: [String] = []
        var warnings: [String] = []
        var discrepancies: [RequestTokenDiscrepancy] = []
    }

    /// The prompt side: the local count, the usual per-request offset, and the requests beyond it.
    struct PromptCounts {
        var local: Int?
        var offset: Int?
        var mismatches = 0
    }

    /// Output: the local tokenizer on the joined text against usage; an end-of-sequence token that is not text is allowed.
    static func outputCounts(_ compared: [RequestRecord], into notes: inout Notes) -> (local: Int?, mismatches: Int) {
        let withLocal = compared.filter { $0.localOutputTokens != nil }
        let local = withLocal.isEmpty ? nil : withLocal.reduce(0) { $0 + ($1.localOutputTokens ?? 0) }
        var eosAllowed = 0
        var mismatches = 0
        for r in withLocal {
            guard let usage = r.usage?.completionTokens, let count = r.localOutputTokens, usage != count else { continue }
            if r.finishReason == "stop", count == usage - 1 {
                eosAllowed += 1
                continue
            }
            mismatches += 1
            notes.discrepancies.append(RequestTokenDiscrepancy(id: r.id, kind: "output", usage: usage, local: count))
        }
        if let local, mismatches > 0 {
            let usageTotal = withLocal.reduce(0) { $0 + ($1.usage?.completionTokens ?? 0) }
            notes.warnings.append("the local tokenizer counts \(local) output tokens in the joined text where usage says \(usageTotal) "
                + "(\(percent(Double(local), usageTotal))); \(mismatches) of \(withLocal.count) requests differ — a different "
                + "tokenizer, or a model whose tokens re-encode differently")
        }
        if eosAllowed > 0 {
            notes.findings.append("\(eosAllowed) requests stopped on an end-of-sequence token that usage counts and the text does not show")
        }
        return (local, mismatches)
    }

    /// Prompt: the local tokenizer's planned exact lengths against usage, allowing a constant per-request offset.
    static func promptCounts(_ compared: [RequestRecord], into notes: inout Notes) -> PromptCounts {
        let offsets = compared.map { ($0, ($0.usage?.promptTokens ?? 0) - $0.promptTokensPlanned) }
        let sorted = offsets.map(\.1).sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        let off = offsets.filter { $0.1 != median }
        notes.discrepancies += off.map {
            RequestTokenDiscrepancy(id: $0.0.id, kind: "prompt", usage: $0.0.usage?.promptTokens ?? 0, local: $0.0.promptTokensPlanned + median)
        }
        if median != 0 {
            notes.findings.append("usage counts \(median) \(median > 0 ? "more" : "fewer") prompt tokens per request than the local "
                + "tokenizer (a chat template, or special tokens the local count leaves out)")
        }
        if !off.isEmpty {
            notes.warnings.append("\(off.count) of \(compared.count) requests had a prompt count that differs from the local tokenizer's "
                + "beyond the usual offset of \(median)")
        }
        return PromptCounts(local: compared.reduce(0) { $0 + $1.promptTokensPlanned }, offset: compared.isEmpty ? nil : median,
                            mismatches: off.count)
    }

    /// Usage repeated in every chunk, and usage frames that are not running totals.
    static func noteUsageFrames(repeated: Int, decreased: Int, into notes: inout Notes) {
        if repeated > 0 {
            notes.findings.append("\(repeated) requests carried usage in more than one chunk (continuous usage); the counts are "
                + "running totals, so the last one is used, not their sum")
        }
        if decreased > 0 {
            notes.warnings.append("\(decreased) requests had usage frames that went down — per-chunk counts, not running totals — "
                + "so their output token counts (the last frame) are likely too low")
        }
    }

    /// The server's counters over every request that reached it, against the client's counts.
    static func checkServerCounters(_ server: ServerMetricsSummary, cachedPromptTokens: Int, into notes: inout Notes) {
        func check(_ counted: Double?, _ client: Int, what: String, clientName: String, hint: String) {
            guard let counted, client > 0 else { return }
            let diff = (counted - Double(client)) / Double(client) * 100
            guard abs(diff) > 1 else { return }
            notes.warnings.append("the server counted \(Int(counted)) \(what), \(clientName) \(client) (\(Int(diff.rounded()))%)\(hint)")
        }
        check(server.serverGenerationTokens, server.clientOutputTokens, what: "generated tokens", clientName: "the client received", hint: "")
        // llama.cpp and SGLang count prompt tokens served from their cache apart: with them added, the counts may agree.
        if let prompt = server.serverPromptTokens, let cachedByServer = server.serverCachedPromptTokens, cachedByServer > 0,
           server.clientPromptTokens > 0, abs(prompt + cachedByServer - Double(server.clientPromptTokens)) <= 0.01 * Double(server.clientPromptTokens) {
            notes.findings.append("the server's prompt counter leaves out the \(Int(cachedByServer)) prompt tokens it served from its cache, which "
                + "it counts apart; with them it agrees with usage (\(server.clientPromptTokens))")
            return
        }
        let cachedHint = (server.serverPromptTokens ?? 0) < Double(server.clientPromptTokens)
            ? (cachedPromptTokens > 0 ? "; the server's counter appears to leave out the \(cachedPromptTokens) prefix-cached tokens"
                : "; prefix-cached prompt tokens may be left out of the server's counter")
            : ""
        check(server.serverPromptTokens, server.clientPromptTokens, what: "prompt tokens", clientName: "usage reported", hint: cachedHint)
    }

    static func percent(_ value: Double, _ reference: Int) -> String {
        guard reference > 0 else { return "no usage" }
        let p = (value - Double(reference)) / Double(reference) * 100
        return (p >= 0 ? "+" : "") + p.formatted(decimals: 1) + "%"
    }

    static func share(_ part: Int, of whole: Int) -> String {
        whole > 0 ? (Double(part) / Double(whole) * 100).formatted(decimals: 0) + "%" : "all"
    }
}
