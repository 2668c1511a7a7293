/// One message of a conversation's context.
public struct ConversationMessage: Sendable, Equatable {
    /// Who said it.
    public enum Role: String, Sendable {
        /// The system prompt.
        case system
        /// The user, a tool result or retrieved documents.
        case user
        /// The model's answer.
        case assistant
    }

    /// A stable identity (the same message keeps it in every copy of a context), for caching its encoding.
    public var id: UInt64
    /// Who said it.
    public var role: Role
    /// Its text.
    public var text: String
    /// Its tokens (synthesized exactly, or as the server counted an answer).
    public var tokens: Int

    /// Creates a message.
    public init(id: UInt64, role: Role, text: String, tokens: Int) {
        self.id = id
        self.role = role
        self.text = text
        self.tokens = tokens
    }
}

/// A call to the model that a conversation makes.
public struct ConversationCall: Sendable {
    /// Seconds to wait after the conversation's previous event (its start, or the end of the call or branches before).
    public var waitSeconds: Double
    /// The prompt: the context in order (the system prompt first), or one synthesized message for a recorded call.
    public var messages: [ConversationMessage]
    /// Tokens of the prompt's messages.
    public var promptTokens: Int
    /// Output tokens to ask for.
    public var maxTokens: Int
    /// Whether to stream (nil: as the run says).
    public var stream: Bool?
}

/// What a conversation does next.
public enum ConversationAction: Sendable {
    /// Call the model, then report the answer with `answered`.
    case call(ConversationCall)
    /// Run these branches in parallel after `waitSeconds`, then hand them back with `joined`.
    case fork([ConversationPlayer], waitSeconds: Double)
    /// The conversation is over.
    case done
}

/// A conversation program being played: the decisions of one conversation as a value (which call comes next, what joins
/// the context, how long it waits), with no clock and no I/O. The runner calls `next()`, carries out the action, and
/// reports back with `answered`, `joined` or `failed`.
public struct ConversationPlayer: Sendable {
    struct Frame: Sendable {
        var steps: [ConversationStep]
        var index = 0
        var remaining = 1
    }

    let text: SyntheticText
    /// The conversation's identity, in its word streams.
    public let conversation: UInt64
    let branch: UInt64
    let contextLimit: Int?
    var rng: SeededGenerator
    var stack: [Frame]
    var pendingWait = 0.0
    var nextMessage: UInt64 = 0
    var awaiting = false
    var finished = false

    /// The context so far.
    public private(set) var messages: [ConversationMessage] = []
    /// Calls made (answered or failed), branches included once joined.
    public private(set) var calls = 0
    /// Seconds spent waiting on tools, branches included once joined.
    public private(set) var toolSeconds = 0.0
    /// Seconds spent thinking (and recorded waits of a trace), branches included once joined.
    public private(set) var thinkSeconds = 0.0
    /// Tokens dropped from the front of the context to fit the context limit.
    public private(set) var truncatedTokens = 0
    /// True when a call failed and the conversation stopped there.
    public private(set) var stoppedByFailure = false
    /// True once `next()` said `.done`.
    public var isFinished: Bool { finished }

    /// Starts conversation `conversation` of a program (the system prompt is the same text for every conversation).
    public init(program: ConversationProgram, conversation: UInt64, text: SyntheticText) {
        self.text = text
        self.conversation = conversation
        branch = 0
        contextLimit = program.contextLimit
        rng = SeededGenerator(seed: text.stream(0xC0, conversation))
        stack = [Frame(steps: program.steps)]
        if program.systemTokens > 0 {
            messages.append(ConversationMessage(id: text.stream(0x5157), role: .system, text: text.text(text.stream(0x5157), count: program.systemTokens),
                                                tokens: program.systemTokens))
        }
    }

    init(branchOf parent: ConversationPlayer, steps: [ConversationStep], index: UInt64) {
        text = parent.text
        conversation = parent.conversation
        branch = SyntheticText.mix(parent.branch ^ (index &+ 1) &* 0xA24B_AED4_963E_E407)
        contextLimit = parent.contextLimit
        rng = SeededGenerator(seed: text.stream(0xC1, conversation, branch))
        stack = [Frame(steps: steps)]
        messages = parent.messages
    }

    /// The next thing to do.
    public mutating func next() -> ConversationAction {
        precondition(!awaiting, "answer the call or join the branches first")
        while !finished, var frame = stack.popLast() {
            guard frame.index < frame.steps.count else {
                if frame.remaining > 1 { stack.append(Frame(steps: frame.steps, remaining: frame.remaining - 1)) }
                continue
            }
            let step = frame.steps[frame.index]
            frame.index += 1
            stack.append(frame)
            if let action = perform(step) {
                awaiting = true
                return action
            }
        }
        finished = true
        return .done
    }

    /// The answer to the last call joins the context (its text, and its tokens as the server counted them).
    public mutating func answered(_ answer: String, tokens: Int) {
        precondition(awaiting, "no call is waiting for an answer")
        awaiting = false
        calls += 1
        append(.assistant, answer, tokens: tokens)
    }

    /// The last call failed: the conversation stops, and its later calls are not made.
    public mutating func failed() {
        awaiting = false
        calls += 1
        stoppedByFailure = true
        finished = true
    }

    /// The branches of the last fork finished: each one's last answer joins the context, their counts join this one's.
    public mutating func joined(_ branches: [ConversationPlayer]) {
        precondition(awaiting, "no fork is waiting")
        awaiting = false
        var joinedText = ""
        var tokens = 0
        for b in branches {
            calls += b.calls
            toolSeconds += b.toolSeconds
            thinkSeconds += b.thinkSeconds
            truncatedTokens += b.truncatedTokens
            if b.stoppedByFailure { stoppedByFailure = true }
            guard let last = b.messages.last, last.role == .assistant, b.messages.count > messages.count else { continue }
            if !joinedText.isEmpty { joinedText += "\n" }
            joinedText += last.text
            tokens += last.tokens
        }
        if stoppedByFailure { finished = true }
        if tokens > 0 { append(.user, joinedText, tokens: tokens) }
    }

    /// Carries out a step that needs no I/O, or returns the action it needs.
    mutating func perform(_ step: ConversationStep) -> ConversationAction? {
        switch step {
        case let .user(tokens):
            appendWords(.user, tokens.sampleCount(using: &rng, minimum: 1))
        case let .llm(output):
            return .call(call(maxTokens: output.sampleCount(using: &rng, minimum: 1)))
        case let .tool(wait, output):
            let seconds = wait.sample(using: &rng)
            pendingWait += seconds
            toolSeconds += seconds
            appendWords(.user, output.sampleCount(using: &rng, minimum: 0))
        case let .think(duration):
            let seconds = duration.sample(using: &rng)
            pendingWait += seconds
            thinkSeconds += seconds
        case let .documents(pool, tokens, pick):
            for _ in 0..<pick { appendDocument(Int(rng.next() % UInt64(pool)), tokens: tokens) }
        case let .loop(count, max, steps):
            let n = Swift.min(max, count.sampleCount(using: &rng, minimum: 0))
            if n > 0 { stack.append(Frame(steps: steps, remaining: n)) }
        case let .fanout(count, steps):
            let n = Swift.min(256, count.sampleCount(using: &rng, minimum: 1))
            return fork((0..<n).map { _ in steps })
        case let .parallel(branches):
            return fork(branches)
        case let .recorded(recorded):
            pendingWait += recorded.waitSeconds
            thinkSeconds += recorded.waitSeconds
            let prompt = ConversationMessage(id: nextID(), role: .user, text: text.prompt(recorded.prompt), tokens: recorded.prompt.tokens)
            let wait = pendingWait
            pendingWait = 0
            return .call(ConversationCall(waitSeconds: wait, messages: [prompt], promptTokens: prompt.tokens,
                                          maxTokens: Swift.max(1, recorded.outputTokens), stream: recorded.stream))
        }
        return nil
    }

    mutating func fork(_ branches: [[ConversationStep]]) -> ConversationAction {
        let children = branches.enumerated().map { ConversationPlayer(branchOf: self, steps: $1, index: UInt64($0)) }
        let wait = pendingWait
        pendingWait = 0
        return .fork(children, waitSeconds: wait)
    }

    /// A call with the context, trimmed from the front (after the system prompt) to fit the context limit.
    mutating func call(maxTokens: Int) -> ConversationCall {
        if let limit = contextLimit {
            let firstDroppable = messages.first?.role == .system ? 1 : 0
            var total = messages.reduce(0) { $0 + $1.tokens }
            while total + maxTokens > limit, messages.count > firstDroppable + 1 {
                let dropped = messages.remove(at: firstDroppable)
                total -= dropped.tokens
                truncatedTokens += dropped.tokens
            }
        }
        let wait = pendingWait
        pendingWait = 0
        return ConversationCall(waitSeconds: wait, messages: messages, promptTokens: messages.reduce(0) { $0 + $1.tokens },
                                maxTokens: maxTokens, stream: nil)
    }

    mutating func nextID() -> UInt64 {
        nextMessage += 1
        return text.stream(0x3E55, conversation, branch, nextMessage)
    }

    mutating func appendWords(_ role: ConversationMessage.Role, _ count: Int) {
        guard count > 0 else { return }
        let id = nextID()
        messages.append(ConversationMessage(id: id, role: role, text: text.text(id, count: count), tokens: count))
    }

    mutating func append(_ role: ConversationMessage.Role, _ content: String, tokens: Int) {
        messages.append(ConversationMessage(id: nextID(), role: role, text: content, tokens: tokens))
    }

    /// Document `k` of the run's shared pool: the same words and length in every conversation.
    mutating func appendDocument(_ k: Int, tokens: ValueDistribution) {
        let stream = text.stream(0xD0C, UInt64(k))
        var own = SeededGenerator(seed: stream)
        let count = tokens.sampleCount(using: &own, minimum: 1)
        messages.append(ConversationMessage(id: stream, role: .user, text: text.text(stream, count: count), tokens: count))
    }
}
