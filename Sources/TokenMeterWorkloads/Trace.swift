import TokenMeterCore

/// The trace formats `bench --trace` reads (docs/workloads.md describes each).
public enum TraceFormat: String, Sendable, CaseIterable, Codable {
    /// Mooncake FAST'25 JSONL: `timestamp` (ms), `input_length`, `output_length`, `hash_ids` (512-token blocks).
    case mooncake
    /// BurstGPT CSV: `Timestamp` (s), `Request tokens`, `Response tokens`.
    case burstgpt
    /// Azure LLM inference CSV (2023, 2024): `TIMESTAMP`, `ContextTokens`, `GeneratedTokens`.
    case azure
    /// The Weka/SemiAnalysis agentic coding traces: one JSON conversation per file (a file or a folder).
    case weka
    /// TraceLab JSONL: one LLM round per line, grouped into sessions.
    case tracelab
    /// tokenmeter's own JSONL: `t`, `input_tokens`, `output_tokens`, optional `hash_ids`, `session`, `think_s`.
    case jsonl

    /// Tokens per hash block when the file does not say.
    public var defaultBlockSize: Int {
        switch self {
        case .mooncake: 512
        case .weka: 64
        case .burstgpt, .azure, .tracelab, .jsonl: 16
        }
    }
}

/// Which part of a trace to replay.
public struct TraceWindow: Sendable, Equatable {
    /// Skip this many seconds from the trace's start.
    public var offsetSeconds: Double
    /// Replay at most this many seconds of it.
    public var durationSeconds: Double?
    /// Replay at most this many requests.
    public var maxRequests: Int?

    /// Creates a window.
    public init(offsetSeconds: Double = 0, durationSeconds: Double? = nil, maxRequests: Int? = nil) {
        self.offsetSeconds = offsetSeconds
        self.durationSeconds = durationSeconds
        self.maxRequests = maxRequests
    }

    /// True when a time (seconds from the trace's start) falls inside.
    func contains(_ t: Double) -> Bool { t >= offsetSeconds && durationSeconds.map { t < offsetSeconds + $0 } ?? true }
}

/// One request of a trace without sessions.
public struct TraceRequest: Sendable, Equatable {
    /// Seconds from the window's start.
    public var time: Double
    /// The prompt's shape.
    public var prompt: PromptShape
    /// Output tokens.
    public var outputTokens: Int
    /// Its prefix-hash ids (empty when the trace has none).
    public var blockIDs: [Int]
}

/// One conversation of a trace with sessions: recorded calls, and subagents as parallel branches.
public struct TraceConversation: Sendable, Equatable {
    /// The trace's name for it.
    public var id: String
    /// When it started, in seconds from the window's start, where the trace records absolute times.
    public var start: Double?
    /// Its steps (`recorded` calls and `parallel` subagents).
    public var steps: [ConversationStep]
    /// Its calls, subagents included.
    public var requests: Int
}

/// A trace read for replay, with what it says about its own prefix reuse.
public struct Trace: Sendable {
    /// The format.
    public var format: TraceFormat
    /// The file or folder.
    public var path: String
    /// Tokens per hash block.
    public var blockSize: Int
    /// Requests of a trace without sessions, in time order.
    public var requests: [TraceRequest]
    /// Conversations of a trace with sessions.
    public var conversations: [TraceConversation]
    /// The trace's own reuse, over what is replayed.
    public var reuse: TraceReuse
    /// Rows left out, and why (failed requests in the trace, rows outside the window).
    public var notes: [String]

    /// True for per-conversation traces, replayed as sessions.
    public var hasSessions: Bool { !conversations.isEmpty }

    /// Requests replayed.
    public var requestCount: Int { hasSessions ? conversations.reduce(0) { $0 + $1.requests } : requests.count }
}

/// How much of a trace's input an infinite prefix cache would serve, three ways (sources report different ones).
public struct TraceReuse: Sendable, Equatable, Codable {
    /// Requests counted.
    public var requests = 0
    /// Distinct block ids.
    public var uniqueBlocks = 0
    /// Share of block references already seen earlier in the trace.
    public var blockReuse: Double?
    /// `Σ min(B·p, ISL) / Σ ISL`, p the leading run of already-seen ids of each request.
    public var tokenReuse: Double?
    /// The same per request, averaged over requests.
    public var requestReuse: Double?
    /// Share of input tokens the trace itself recorded as cached (TraceLab's `prefix_tokens`).
    public var recordedCachedShare: Double?

    enum CodingKeys: String, CodingKey {
        case requests, uniqueBlocks = "unique_blocks", blockReuse = "block_reuse", tokenReuse = "token_reuse"
        case requestReuse = "request_reuse", recordedCachedShare = "recorded_cached_share"
    }

    /// Reuse of requests given as (scope, ids, input tokens), in replay order.
    public init(_ requests: [(scope: UInt64, ids: [Int], tokens: Int)], blockSize: Int) {
        self.requests = requests.count
        var seen = Set<Int64>()
        var references = 0, repeated = 0, hitTokens = 0, inputTokens = 0
        var perRequest = 0.0, withIDs = 0
        for r in requests where !r.ids.isEmpty {
            withIDs += 1
            var leading = 0
            var stillLeading = true
            for id in r.ids {
                let key = Int64(bitPattern: r.scope &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: Int64(id)))
                let known = !seen.insert(key).inserted
                references += 1
                if known { repeated += 1 }
                if known, stillLeading { leading += 1 } else { stillLeading = false }
            }
            let hit = min(blockSize * leading, r.tokens)
            hitTokens += hit
            inputTokens += r.tokens
            perRequest += r.tokens > 0 ? Double(hit) / Double(r.tokens) : 0
        }
        uniqueBlocks = seen.count
        guard withIDs > 0 else { return }
        blockReuse = references > 0 ? Double(repeated) / Double(references) : nil
        tokenReuse = inputTokens > 0 ? Double(hitTokens) / Double(inputTokens) : nil
        requestReuse = perRequest / Double(withIDs)
    }

    /// No reuse information.
    public init() {}
}
