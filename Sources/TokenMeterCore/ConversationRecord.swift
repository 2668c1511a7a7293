/// One conversation of a point (a chat session, an agentic task, or a trace's conversation): when it ran, how long it
/// waited on people and tools, and how it ended. Its calls are the requests whose `conversation` is its `id`.
public struct ConversationRecord: Codable, Sendable, Equatable {
    /// Number within its point.
    public var id: Int
    /// Warm-up or measured (a conversation is one or the other as a whole).
    public var phase: RequestPhase
    /// `session` or `task`.
    public var kind: String
    /// When it was due to start (monotonic ns).
    public var startNanoseconds: UInt64
    /// When its last call ended (monotonic ns); nil when it made none.
    public var endNanoseconds: UInt64?
    /// Calls it made.
    public var calls: Int
    /// Seconds it waited on tools (summed over parallel branches).
    public var toolSeconds: Double
    /// Seconds it waited on its user (think time, or a trace's recorded waits).
    public var thinkSeconds: Double
    /// Tokens dropped from the front of its context to fit the context limit.
    public var truncatedTokens: Int
    /// True when a call failed and its later calls were not made.
    public var stoppedByFailure: Bool
    /// True when the point ended (its drain timed out, or it was interrupted) before the conversation did.
    public var cutShort: Bool
    /// The trace's name for it, when it replays one.
    public var traceID: String?

    /// Creates a record.
    public init(id: Int, phase: RequestPhase, kind: String, startNanoseconds: UInt64, endNanoseconds: UInt64?, calls: Int, toolSeconds: Double,
                thinkSeconds: Double, truncatedTokens: Int, stoppedByFailure: Bool, cutShort: Bool, traceID: String? = nil) {
        self.id = id
        self.phase = phase
        self.kind = kind
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = endNanoseconds
        self.calls = calls
        self.toolSeconds = toolSeconds
        self.thinkSeconds = thinkSeconds
        self.truncatedTokens = truncatedTokens
        self.stoppedByFailure = stoppedByFailure
        self.cutShort = cutShort
        self.traceID = traceID
    }

    enum CodingKeys: String, CodingKey {
        case id, phase, kind, startNanoseconds = "t_start_ns", endNanoseconds = "t_end_ns", calls, toolSeconds = "tool_s"
        case thinkSeconds = "think_s", truncatedTokens = "truncated_tokens", stoppedByFailure = "stopped_by_failure", cutShort = "cut_short"
        case traceID = "trace_id"
    }

    /// True when it ran to its end.
    public var completed: Bool { !stoppedByFailure && !cutShort && endNanoseconds != nil }
}
