/// What one conversation of a workload does, step by step: a chat session (user messages, answers, think time) or an
/// agentic task (LLM calls, tool waits whose results join the context, parallel fan-out, loops). Every conversation of a
/// run follows the same program with its own random draws; a workload file or a preset (`chat`, `agentic-coding`,
/// `deep-research`, `rag`) defines it.
public struct ConversationProgram: Sendable, Equatable {
    /// Whether a conversation is a person's chat session or an agent's task (the unit its metrics are reported per).
    public enum Kind: String, Sendable, Codable {
        /// A chat session: turns of a user message and an answer.
        case session
        /// An agentic task: LLM calls and tool calls until the task is done.
        case task
    }

    /// The program's name (`chat`, or the file's).
    public var name: String
    /// Session or task.
    public var kind: Kind
    /// What the workload stands for, in a sentence.
    public var summary: String
    /// Tokens of a system prompt that every conversation of the run starts with (the same text: shared by the prefix cache).
    public var systemTokens: Int
    /// Most tokens a request may hold (prompt and answer); older messages are dropped from the front to fit. Nil: no limit.
    public var contextLimit: Int?
    /// The steps.
    public var steps: [ConversationStep]

    /// Creates a program.
    public init(name: String, kind: Kind, summary: String = "", systemTokens: Int = 0, contextLimit: Int? = nil, steps: [ConversationStep]) {
        self.name = name
        self.kind = kind
        self.summary = summary
        self.systemTokens = systemTokens
        self.contextLimit = contextLimit
        self.steps = steps
    }

    /// The program with its first loop (the turns of a session, the user requests of a task) run exactly `turns` times.
    public func withTurns(_ turns: Int) -> ConversationProgram {
        var copy = self
        var replaced = false
        copy.steps = steps.map { step in
            guard !replaced, case let .loop(_, _, body) = step else { return step }
            replaced = true
            return .loop(count: .fixed(Double(turns)), max: max(turns, 1), steps: body)
        }
        if !replaced { copy.steps = [.loop(count: .fixed(Double(turns)), max: max(turns, 1), steps: steps)] }
        return copy
    }

    /// True when some path through the program calls the model.
    public var callsTheModel: Bool { ConversationStep.containsCall(steps) }
}

/// One step of a conversation program.
public enum ConversationStep: Sendable, Equatable {
    /// A user message of this many new tokens joins the context.
    case user(tokens: ValueDistribution)
    /// The model is called with the whole context and asked for this many output tokens; its answer joins the context.
    case llm(output: ValueDistribution)
    /// A tool runs for `wait` seconds; its result of `output` tokens joins the context.
    case tool(wait: ValueDistribution, output: ValueDistribution)
    /// The user thinks for this many seconds before going on.
    case think(ValueDistribution)
    /// `pick` documents of a pool of `pool` (the same texts for every conversation of the run) join the context.
    case documents(pool: Int, tokens: ValueDistribution, pick: Int)
    /// The steps, `count` times (at most `max`).
    case loop(count: ValueDistribution, max: Int, steps: [ConversationStep])
    /// `count` branches run the steps in parallel, each from a copy of the context; their last answers then join it.
    case fanout(count: ValueDistribution, steps: [ConversationStep])
    /// Branches given one by one (a trace's subagents), run in parallel; their last answers then join the context.
    case parallel([[ConversationStep]])
    /// A recorded call of a trace: its prompt is synthesized (not the live context), after the recorded wait.
    case recorded(RecordedCall)

    static func containsCall(_ steps: [ConversationStep]) -> Bool {
        steps.contains { step in
            switch step {
            case .llm, .recorded: true
            case let .loop(_, _, inner), let .fanout(_, inner): containsCall(inner)
            case let .parallel(branches): branches.contains(where: containsCall)
            case .user, .tool, .think, .documents: false
            }
        }
    }
}

/// A call as a trace recorded it: the wait before it, its prompt's shape and its output length.
public struct RecordedCall: Sendable, Equatable {
    /// Seconds between the previous call's end (or the conversation's start) and this call, as recorded.
    public var waitSeconds: Double
    /// The prompt.
    public var prompt: PromptShape
    /// Output tokens to ask for.
    public var outputTokens: Int
    /// Whether the recorded call streamed (nil: as the run says).
    public var stream: Bool?

    /// Creates a recorded call.
    public init(waitSeconds: Double, prompt: PromptShape, outputTokens: Int, stream: Bool? = nil) {
        self.waitSeconds = waitSeconds
        self.prompt = prompt
        self.outputTokens = outputTokens
        self.stream = stream
    }
}

/// The shape of a synthesized prompt: what makes two prompts share a prefix, without their text.
public enum PromptShape: Sendable, Equatable {
    /// Prefix-hash blocks (Mooncake, Weka): block `ids[i]` of `scope` holds `blockSize` words, the last one
    /// `tokens - (ids.count - 1) * blockSize`.
    case blocks(scope: UInt64, ids: [Int], blockSize: Int, tokens: Int)
    /// Runs of word streams, in order (prefix and appended tokens of a session trace).
    case segments([TextSegment])
    /// Fresh words nobody else shares (traces without prefix identity).
    case fresh(stream: UInt64, tokens: Int)

    /// Tokens of the prompt.
    public var tokens: Int {
        switch self {
        case let .blocks(_, _, _, tokens): tokens
        case let .segments(segments): segments.reduce(0) { $0 + $1.count }
        case let .fresh(_, tokens): tokens
        }
    }
}

/// Words `start..<start + count` of a synthetic word stream.
public struct TextSegment: Sendable, Equatable {
    /// The stream.
    public var stream: UInt64
    /// First word.
    public var start: Int
    /// Words.
    public var count: Int

    /// Creates a segment.
    public init(stream: UInt64, start: Int, count: Int) {
        self.stream = stream
        self.start = start
        self.count = count
    }
}

extension SyntheticText {
    /// The text of a prompt shape.
    public func prompt(_ shape: PromptShape) -> String {
        var text = ""
        switch shape {
        case let .blocks(scope, ids, blockSize, tokens):
            text.reserveCapacity(tokens * 6)
            for (i, id) in ids.enumerated() {
                let length = i == ids.count - 1 ? tokens - blockSize * (ids.count - 1) : blockSize
                append(blockStream(scope: scope, id: id), count: length, to: &text)
            }
        case let .segments(segments):
            for s in segments { append(s.stream, from: s.start, count: s.count, to: &text) }
        case let .fresh(s, tokens):
            append(s, count: tokens, to: &text)
        }
        return text
    }
}
