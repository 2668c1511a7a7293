/// The trace a point replayed, and how much prefix reuse the trace itself holds beside what the server reported.
public struct TraceSummary: Codable, Sendable, Equatable {
    /// Its format (`mooncake`, `weka`, ...).
    public var format: String
    /// The file or folder, by name.
    public var file: String
    /// Requests replayed.
    public var requests: Int
    /// Conversations replayed (traces with sessions).
    public var conversations: Int?
    /// Tokens per hash block.
    public var blockSize: Int
    /// Replay speed-up (nil: as fast as the concurrency cap allowed).
    public var speedup: Double?
    /// Distinct hash blocks replayed.
    public var uniqueBlocks: Int
    /// Share of block references already seen earlier in the replay.
    public var blockReuse: Double?
    /// Input tokens an infinite prefix cache would serve, token-weighted.
    public var tokenReuse: Double?
    /// The same averaged per request.
    public var requestReuse: Double?
    /// Share of input tokens the trace itself recorded as cached.
    public var recordedCachedShare: Double?
    /// Share of prompt tokens the server reported as cached (`prompt_tokens_details.cached_tokens`), where it reports them.
    public var serverCachedShare: Double?
    /// What was left out and why.
    public var notes: [String]

    /// Creates a summary.
    public init(format: String, file: String, requests: Int, conversations: Int?, blockSize: Int, speedup: Double?, uniqueBlocks: Int,
                blockReuse: Double?, tokenReuse: Double?, requestReuse: Double?, recordedCachedShare: Double?, serverCachedShare: Double?,
                notes: [String]) {
        self.format = format
        self.file = file
        self.requests = requests
        self.conversations = conversations
        self.blockSize = blockSize
        self.speedup = speedup
        self.uniqueBlocks = uniqueBlocks
        self.blockReuse = blockReuse
        self.tokenReuse = tokenReuse
        self.requestReuse = requestReuse
        self.recordedCachedShare = recordedCachedShare
        self.serverCachedShare = serverCachedShare
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey {
        case format, file, requests, conversations, blockSize = "block_size", speedup, uniqueBlocks = "unique_blocks"
        case blockReuse = "block_reuse", tokenReuse = "token_reuse", requestReuse = "request_reuse"
        case recordedCachedShare = "recorded_cached_share", serverCachedShare = "server_cached_share", notes
    }
}
