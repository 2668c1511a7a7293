

/// Whether a request belongs to the warm-up or to the measurement.
public enum RequestPhase: String, Codable, Sendable {
    /// Sent before the measurement started; excluded from latency metrics.
    case warmup
    /// Sent inside the measurement.
    case measured
}

/// The per-request timeline: the source of truth every metric is computed from.
public struct RequestRecord: Codable, Sendable, Equatable {
    /// Sequence number within its sweep point.
    public var id: Int
    /// Warm-up or measured.
    public var phase: RequestPhase
    /// When the scheduler wanted the request sent (monotonic ns).
    public var scheduledNanoseconds: UInt64
    /// When the request bytes were handed to the connection (monotonic ns); nil if never sent.
    public var sentNanoseconds: UInt64?
    /// When the response head arrived (monotonic ns).
    public var responseHeadNanoseconds: UInt64?
    /// When the response ended or failed (monotonic ns).
    public var completedNanoseconds: UInt64?
    /// Prompt tokens the workload intended (exact or approximate, see `promptTokensExact`).
    public var promptTokensPlanned: Int
    /// True when `promptTokensPlanned` came from a tokenizer rather than an estimate.
    public var promptTokensExact: Bool
    /// Output tokens asked for (`max_tokens`).
    public var maxTokens: Int
    /// Every data event received, in order.
    public var events: [StreamEvent]
    /// Token counts the server reported.
    public var usage: Usage?
    /// Finish reason of the (first) choice.
    public var finishReason: String?
    /// HTTP status of the response.
    public var httpStatus: Int?
    /// Set when the request failed.
    public var failure: RequestFailure?
    /// Number of times the request was retried on a fresh connection: after a stale keep-alive one failed, or after a
    /// connect timed out while other connections to the server were open. Nothing had been sent either time.
    public var connectionRetries: Int
    /// True when the response was streamed; TPOT and gaps only exist for streamed responses.
    public var streamed: Bool
    /// Stream chunks that carried a `usage` object, when more than one did (usage repeated per chunk).
    public var usageFrames: Int?
    /// True when a later usage frame counted fewer completion tokens than an earlier one (per-chunk deltas, not totals).
    public var usageDecreased: Bool?
    /// Output tokens of the joined output text (content and reasoning) by the local tokenizer, when one was given.
    public var localOutputTokens: Int?
    /// The conversation (a session, a task, or a trace's conversation) the request belongs to, numbered within its point;
    /// nil for a request on its own.
    public var conversation: Int?
    /// Times the request was sent, when the retry policy sent it more than once (each answer before the last was a rate
    /// limit, an overload or a server error); nil when it was sent once.
    public var attempts: Int?
    /// When its first attempt was sent (monotonic ns), when it was retried; `sentNanoseconds` is the last attempt's.
    public var firstSentNanoseconds: UInt64?
    /// The rate-limit headers of the (last) response: `x-ratelimit-*`, `anthropic-ratelimit-*`, `retry-after`.
    public var rateLimit: [String: String]?
    /// The server's id of the response (`chatcmpl-…`, `resp_…`, `msg_…`), where it gave one.
    public var responseID: String?
    /// Its place among the conversation's calls, 0 first (branches run in parallel share the numbering, in send order).
    public var call: Int?

    /// Creates a record for a planned request.
    public init(
        id: Int, phase: RequestPhase, scheduledNanoseconds: UInt64, promptTokensPlanned: Int,
        promptTokensExact: Bool, maxTokens: Int
    ) {
        self.id = id
        self.phase = phase
        self.scheduledNanoseconds = scheduledNanoseconds
        self.promptTokensPlanned = promptTokensPlanned
        self.promptTokensExact = promptTokensExact
        self.maxTokens = maxTokens
        self.events = []
        self.connectionRetries = 0
        self.streamed = true
    }

    enum CodingKeys: String, CodingKey {
        case id, phase
        case scheduledNanoseconds = "t_sched_ns", sentNanoseconds = "t_send_ns"
        case responseHeadNanoseconds = "t_head_ns", completedNanoseconds = "t_done_ns"
        case promptTokensPlanned = "prompt_tokens_planned", promptTokensExact = "prompt_tokens_exact"
        case maxTokens = "max_tokens", events, usage, finishReason = "finish_reason"
        case httpStatus = "http_status", failure = "error", connectionRetries = "connection_retries", streamed
        case usageFrames = "usage_frames", usageDecreased = "usage_decreased", localOutputTokens = "local_output_tokens"
        case conversation, call, attempts, firstSentNanoseconds = "t_first_send_ns", rateLimit = "rate_limit", responseID = "response_id"
    }

    /// True when the request completed without a failure.
    public var succeeded: Bool { failure == nil && completedNanoseconds != nil }

    /// True when the tokens it streamed reached the client as intended: it succeeded, or the client cancelled it.
    public var delivered: Bool { completedNanoseconds != nil && (failure == nil || failure?.kind == .cancelled) }

    /// The events that carried at least one output token.
    public var tokenEvents: [StreamEvent] { events.filter(\.isTokenBearing) }

    /// Output tokens delivered: the server's count when it gave one, else one per token-bearing event.
    public var outputTokens: Int {
        if let usage, !usageExceedsStream, !usageBelowStream { return usage.completionTokens }
        if usage != nil, let local = localOutputTokens { return local }
        let known = tokenEvents.compactMap(\.tokens)
        if usage == nil, known.count == tokenEvents.count, !known.isEmpty { return known.reduce(0, +) }
        return tokenEvents.count
    }

    /// True when a streamed answer's usage claims more tokens than its stream could have carried: every token is at least
    /// one byte of text, or an event of its own, or the one end-of-sequence token no stream shows. Where the server counts
    /// reasoning apart, only the answer is checked (reasoning may be summarized or hidden, and is billed all the same). Such
    /// a request counts the tokens that arrived (the local tokenizer's count, else one per token-bearing event), and the rest
    /// are billed but not delivered.
    public var usageExceedsStream: Bool {
        guard streamed, let usage else { return false }
        let reported = usage.reasoningTokens
        let claimed = usage.completionTokens - (reported ?? 0)
        var bytes = 0
        var carriers = 0
        for event in events where event.isTokenBearing {
            let answer = event.content.utf8.count + event.toolArguments.utf8.count
            if reported == nil {
                bytes += answer + event.reasoning.utf8.count
                carriers += 1
            } else if answer > 0 || event.isAnswer {
                bytes += answer
                carriers += 1
            }
        }
        return claimed > bytes + carriers + 1
    }

    /// True when a streamed answer's usage claims fewer output tokens than its stream carried: fewer than the events that
    /// brought text (each carries at least one token), or, with the local tokenizer's count of what arrived, fewer than
    /// that count less 5% and 2 tokens (a model may generate a word in more pieces than re-tokenizing it gives, rarely in
    /// fewer), unless the text holds replacement characters. Such a request counts what arrived (the local count, else
    /// one per token-bearing event); the difference was delivered but not billed.
    public var usageBelowStream: Bool {
        guard streamed, let usage else { return false }
        let carriers = events.reduce(0) { $0 + ($1.isTokenBearing && !($1.content.isEmpty && $1.reasoning.isEmpty) ? 1 : 0) }
        if usage.completionTokens < carriers { return true }
        guard let local = localOutputTokens, Double(usage.completionTokens) < Double(local) * 0.95 - 2 else { return false }
        // Text with U+FFFD is not what was generated (a token that was part of a UTF-8 character, decoded alone): the
        // local count of the replacement characters says nothing of the server's.
        return !events.contains { $0.content.contains("\u{FFFD}") || $0.reasoning.contains("\u{FFFD}") }
    }

    /// Output tokens that arrived beyond what usage billed (only for a request whose usage is below its stream).
    public var deliveredNotBilledTokens: Int {
        guard usageBelowStream, let usage else { return 0 }
        return max(0, outputTokens - usage.completionTokens)
    }

    /// Output tokens usage billed beyond what arrived (only for a request whose usage exceeds its stream).
    public var billedNotDeliveredTokens: Int {
        guard usageExceedsStream, let usage else { return 0 }
        return max(0, usage.completionTokens - outputTokens)
    }

    /// True when the output count came from the server rather than from counting events.
    public var outputTokensFromServer: Bool { usage != nil }

    /// Input tokens: the server's count when it gave one, else the planned count.
    public var inputTokens: Int { usage?.promptTokens ?? promptTokensPlanned }

    /// Times it was sent (1 unless retried).
    public var attemptCount: Int { attempts ?? 1 }

    /// Reasoning tokens among the output: the server's count when it gave one, else the token-bearing events that carried
    /// reasoning only (one token each, or what continuous usage said they carried).
    public var reasoningTokens: Int {
        if let reasoning = usage?.reasoningTokens { return reasoning }
        return tokenEvents.reduce(0) { $0 + ($1.reasoning.isEmpty || $1.isAnswer ? 0 : ($1.tokens ?? 1)) }
    }

    /// Output tokens that are the answer (visible text and tool calls): the output less its reasoning.
    public var answerTokens: Int { max(0, outputTokens - reasoningTokens) }

    /// The visible text joined in order.
    public var joinedContent: String { events.map(\.content).joined() }

    /// Everything the model generated as text, reasoning and visible, joined in order (what usage's completion tokens count).
    public var joinedOutput: String { events.map { $0.reasoning + $0.content + $0.toolArguments }.joined() }
}
