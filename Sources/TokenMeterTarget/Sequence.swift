import NIOCore
import TokenMeterCore
import TokenMeterDialects

/// One request inside the target: what it asked for, the connection its tokens go to, and its answer so far.
final class Sequence {
    let completion: ServerEncoding.Completion
    let requestID: String
    let request: GenerateRequest
    let keepAlive: Bool
    let channel: any Channel
    let arrival: UInt64
    /// Output tokens that are reasoning, before the answer.
    let reasoningTokens: Int
    /// Rate-limit headers for the response head.
    var headers: [(String, String)] = []
    /// Prompt tokens the prefix cache served; nil when the target has none (or the dialect reads no cache for this request).
    var cachedTokens: Int?
    /// Prompt tokens written to the cache (Anthropic with `cache_control`).
    var cacheWriteTokens = 0
    var generated = 0
    var done = false
    /// The answer's texts, kept when it is answered whole or stored.
    var reasoningText = ""
    var answerText = ""
    var toolText = ""
    var stream: ServerStream
    var tokenTimes: [UInt64] = []
    /// A mid-stream fault to inject, and at which token.
    var fault: Fault?
    var faultAtToken = 0

    init(completion: ServerEncoding.Completion, requestID: String, request: GenerateRequest, reasoningTokens: Int, keepAlive: Bool,
         channel: any Channel) {
        self.completion = completion
        self.requestID = requestID
        self.request = request
        self.keepAlive = keepAlive
        self.channel = channel
        arrival = MonotonicClock.nowNanoseconds()
        self.reasoningTokens = request.api == .completions || request.api == .embeddings ? 0 : min(reasoningTokens, max(0, request.maxTokens - 1))
        stream = ServerStream(completion)
    }

    var promptTokens: Int { request.promptTokens }
    var maxTokens: Int { request.maxTokens }

    /// What the `k`-th output token (1 first) is: reasoning first, then a tool call when tools were offered, else text.
    func part(_ k: Int) -> OutputPart {
        if k <= reasoningTokens { return .reasoning }
        return request.tools ? .tool : .answer
    }

    /// The text of the `k`-th token: a word, or a fragment of the tool call's JSON arguments (`{"query": "w1 w2 … wn"}`).
    func piece(_ word: String, _ k: Int, last: Bool) -> String {
        guard part(k) == .tool else { return word }
        let first = k == reasoningTokens + 1
        let trimmed = first ? String(word.drop { $0 == " " }) : word
        return (first ? "{\"query\": \"" : "") + trimmed + (last ? "\"}" : "")
    }

    var usage: ServerUsage {
        let claimed = fault == .lyingUsage ? generated * 10 : fault == .lyingUsageLow ? generated / 4 : generated
        return ServerUsage(prompt: promptTokens, completion: claimed, reasoning: min(generated, reasoningTokens), cached: cachedTokens,
                           cacheWrite: cacheWriteTokens, cacheTTL: request.cacheTTL)
    }
}
