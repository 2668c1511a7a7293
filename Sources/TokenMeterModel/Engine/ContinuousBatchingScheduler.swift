/// What a serving engine holds and does at once.
public struct BatchLimits: Sendable, Equatable {
    /// Most sequences in the batch (vLLM `max_num_seqs`).
    public var maxRunning: Int
    /// Tokens one step computes (vLLM's `max_num_batched_tokens`, TRT-LLM's `max_num_tokens`): the decode tokens and, in
    /// what they leave, prompt tokens — longer prompts are prefilled in chunks. SGLang's prefill steps have it whole.
    public var prefillTokensPerStep: Int
    /// Tokens the KV cache holds; a sequence holds its prompt and what it generated.
    public var kvCapacityTokens: Int
    /// How prefills and decodes share a step.
    public var policy: SchedulingPolicy
    /// Tokens a decoding sequence emits per step on average: 1, or with speculative decoding the accepted drafts plus one.
    /// Each sequence emits the whole part of its running sum, so over its steps the mean is exact.
    public var tokensPerDecodeStep: Double = 1

    /// The reference target's defaults: a batch of 256, 16,384 prompt tokens per step, 2,000,000 tokens of KV cache.
    public static let `default` = BatchLimits(maxRunning: 256, prefillTokensPerStep: 16384, kvCapacityTokens: 2_000_000)

    /// Creates limits; each is at least 1, and one left out takes its value from `default`.
    public init(maxRunning: Int = Self.default.maxRunning, prefillTokensPerStep: Int = Self.default.prefillTokensPerStep,
                kvCapacityTokens: Int = Self.default.kvCapacityTokens, policy: SchedulingPolicy = .decodesFirst) {
        self.maxRunning = max(1, maxRunning)
        self.prefillTokensPerStep = max(1, prefillTokensPerStep)
        self.kvCapacityTokens = max(1, kvCapacityTokens)
        self.policy = policy
    }
}

/// The one continuous-batching scheduler (the reference target on a real clock, `EngineSimulation` on a virtual one), a
/// pure value with no clock and no I/O: each step (`nextStep`, then `finish`) decodes one token of every running sequence,
/// continues the prefills in progress in chunks, and admits waiting sequences in arrival order while the batch, the prefill
/// budget and the KV cache (the whole prefill, plus a 1% watermark) have room. A first token comes at the end of the step
/// that completes its prefill. When the KV cache cannot hold the next decode tokens, the newest running sequence is
/// preempted (vLLM's recompute: its prompt and output so far are prefilled again).
public struct ContinuousBatchingScheduler<Request> {
    /// One sequence as the scheduler sees it.
    struct Slot {
        var request: Request
        var promptTokens: Int
        var maxTokens: Int
        var generated = 0
        /// KV tokens held (computed, or reserved by the step in flight).
        var kv = 0
        /// Tokens to prefill before it decodes: its prompt less what the prefix cache held, or after a preemption its prompt
        /// and output so far.
        var prefillRemaining: Int
        /// Prompt tokens the prefix cache held, whose KV it takes on admission without computing them (0 after a preemption).
        var cached = 0
        var removed = false
        /// The fraction of a token carried to its next decode step (speculative decoding's mean acceptance).
        var carry = 0.0
    }

    /// The limits it schedules under.
    public let limits: BatchLimits
    private var waiting: [Slot] = []
    private var waitingHead = 0
    private var running: [Slot] = []
    private var kvUsed = 0
    private var inFlight = false
    /// Sequences preempted so far.
    public private(set) var preemptions = 0

    /// Creates an empty scheduler.
    public init(limits: BatchLimits) { self.limits = limits }

    /// Sequences in the batch.
    public var runningCount: Int { running.count }
    /// Sequences waiting to be admitted.
    public var waitingCount: Int { waiting.count - waitingHead }
    /// KV-cache tokens in use.
    public var kvTokensInUse: Int { kvUsed }
    /// True while a planned step has not been finished.
    public var stepInFlight: Bool { inFlight }
    /// True when nothing is running or waiting.
    public var isIdle: Bool { running.isEmpty && waitingCount == 0 }

    /// Queues a request of `promptTokens` that generates at most `maxTokens`; `cachedTokens` of its prompt are in the prefix
    /// cache and are not prefilled (at least one token always is).
    public mutating func arrive(_ request: Request, promptTokens: Int, maxTokens: Int, cachedTokens: Int = 0) {
        let prompt = max(1, promptTokens)
        let cached = min(max(0, cachedTokens), prompt - 1)
        waiting.append(Slot(request: request, promptTokens: prompt, maxTokens: max(1, maxTokens), prefillRemaining: prompt - cached,
                            cached: cached))
    }

    /// Takes the first request that `matches` out (its client went away, or it stopped early); false when none did.
    public mutating func remove(where matches: (Request) -> Bool) -> Bool {
        if let i = running.firstIndex(where: { !$0.removed && matches($0.request) }) {
            if inFlight {
                running[i].removed = true  // its reservation is released when the step ends
            } else {
                kvUsed -= running[i].kv
                running.remove(at: i)
            }
            return true
        }
        if let i = waiting[waitingHead...].firstIndex(where: { !$0.removed && matches($0.request) }) {
            waiting[i].removed = true
            return true
        }
        return false
    }

    /// Plans the next step; nil while a step is in flight or when there is nothing to do.
    public mutating func nextStep() -> StepPlan<Request>? {
        guard !inFlight else { return nil }
        running.removeAll { $0.removed }
        makeRoomForDecoding()
        var entries: [StepPlan<Request>.Entry] = []
        entries.reserveCapacity(running.count + 8)
        var shape = StepShape(decodingSequences: 0, contextTokens: 0, prefillTokens: 0, prefillSequences: 0, prefillPromptTokens: 0)
        let decoding = running.reduce(0) { $0 + ($1.prefillRemaining == 0 ? 1 : 0) }
        // vLLM V1 and TRT-LLM count the decode tokens against the step's token budget; SGLang's prefill steps have it whole.
        var budget = limits.policy != .prefillFirst ? max(1, limits.prefillTokensPerStep - decoding) : limits.prefillTokensPerStep
        // Prefill-first: while prompts wait that can be admitted, their prefill has the step to itself.
        let prefillOnly = limits.policy == .prefillFirst && canAdmit()
        for i in running.indices {
            if running[i].prefillRemaining == 0 {
                if prefillOnly { continue }
                shape.decodingSequences += 1
                shape.contextTokens += running[i].kv
                let tokens = decodeTokens(for: i)
                reserve(tokens, for: i)
                entries.append(StepPlan.Entry(index: i, request: running[i].request, prefill: 0, decode: tokens))
            } else if budget > 0, let chunk = chunk(for: i, budget: budget) {
                budget -= chunk
                add(chunk, of: i, to: &shape)
                entries.append(StepPlan.Entry(index: i, request: running[i].request, prefill: chunk))
            }
        }
        admitWaiting(budget: budget, shape: &shape, entries: &entries)
        guard !entries.isEmpty else { return nil }
        inFlight = true
        return StepPlan(shape: shape, entries: entries)
    }

    /// Ends a planned step: every decoding sequence and every sequence whose prefill completed emits one token; sequences that
    /// reached their `maxTokens` leave the batch. Removed sequences emit nothing.
    public mutating func finish(_ plan: StepPlan<Request>) -> [Emission<Request>] {
        var emissions: [Emission<Request>] = []
        emissions.reserveCapacity(plan.entries.count)
        for entry in plan.entries where !running[entry.index].removed {
            let i = entry.index
            if entry.prefill > 0 {
                running[i].prefillRemaining -= entry.prefill
                if running[i].prefillRemaining > 0 { continue }
            }
            let emitted = max(1, entry.decode)
            running[i].generated += emitted
            let finished = running[i].generated >= running[i].maxTokens
            if finished { running[i].removed = true }
            emissions.append(Emission(request: running[i].request, tokens: running[i].generated, emitted: emitted, finished: finished))
        }
        running.removeAll { slot in
            if slot.removed { kvUsed -= slot.kv }
            return slot.removed
        }
        inFlight = false
        return emissions
    }

    /// Decode-only steps that would run from now with nothing changing between them: no step in flight, nothing waiting, every
    /// running sequence decoding one token a step (no speculation); as many as leave every sequence at least one token to go
    /// and the KV cache room for each step's tokens. 0 when the next step must be planned on its own.
    public func decodeOnlyStepsAhead() -> Int {
        guard !inFlight, limits.tokensPerDecodeStep == 1, !running.isEmpty,
              !waiting[waitingHead...].contains(where: { !$0.removed }) else { return 0 }
        var ahead = (limits.kvCapacityTokens - kvUsed) / running.count
        for slot in running {
            guard slot.prefillRemaining == 0, !slot.removed else { return 0 }
            ahead = min(ahead, slot.maxTokens - slot.generated - 1)
        }
        return max(0, ahead)
    }

    /// Runs `steps` decode-only steps at once (at most `decodeOnlyStepsAhead()`), as `steps` rounds of `nextStep` and `finish`
    /// would: every running sequence generates `steps` tokens and holds their KV. Returns the first step's shape; each later
    /// step has one more context token per sequence.
    public mutating func skipDecodeSteps(_ steps: Int) -> StepShape {
        precondition(steps <= decodeOnlyStepsAhead(), "only decode-only steps can be skipped")
        let shape = StepShape(decodingSequences: running.count, contextTokens: running.reduce(0) { $0 + $1.kv }, prefillTokens: 0,
                              prefillSequences: 0, prefillPromptTokens: 0)
        advanceDecodes(by: steps)
        return shape
    }

    /// Takes back the last `steps` of decode-only steps skipped at once (`skipDecodeSteps`), as if they had not run: a
    /// request that arrived during a skipped stretch joins at the step it would have, not after the stretch.
    public mutating func unskipDecodeSteps(_ steps: Int) {
        precondition(!inFlight && steps >= 0 && running.allSatisfy { $0.prefillRemaining == 0 && $0.generated >= steps },
                     "only skipped decode steps can be taken back")
        advanceDecodes(by: -steps)
    }

    /// Every running sequence `steps` tokens further (back, when negative), with their KV.
    private mutating func advanceDecodes(by steps: Int) {
        for i in running.indices {
            running[i].generated += steps
            running[i].kv += steps
        }
        kvUsed += steps * running.count
    }

    /// Preempts the newest running sequences until the KV cache holds one more token for every decoding one (never the last).
    private mutating func makeRoomForDecoding() {
        guard kvUsed + running.count > limits.kvCapacityTokens else { return }
        var decoding = running.reduce(0) { $0 + ($1.prefillRemaining == 0 ? 1 : 0) }
        while kvUsed + decoding > limits.kvCapacityTokens, running.count > 1 {
            var slot = running.removeLast()
            if slot.prefillRemaining == 0 { decoding -= 1 }
            kvUsed -= slot.kv
            slot.kv = 0
            slot.prefillRemaining = slot.promptTokens + slot.generated
            slot.cached = 0
            preemptions += 1
            if waitingHead > 0 {
                waitingHead -= 1
                waiting[waitingHead] = slot
            } else {
                waiting.insert(slot, at: 0)
            }
        }
    }

    /// KV tokens kept free when admitting: 1% of the cache.
    private var watermark: Int { limits.kvCapacityTokens / 100 }

    /// True when the next waiting prompt would be admitted now (room in the batch and its whole prefill in the KV cache).
    private func canAdmit() -> Bool {
        guard running.count < limits.maxRunning, let slot = waiting[waitingHead...].first(where: { !$0.removed }) else { return false }
        return running.isEmpty || slot.prefillRemaining + slot.cached + watermark <= limits.kvCapacityTokens - kvUsed
    }

    /// Admits waiting sequences, in order, while the batch, the budget and the KV cache have room; a sequence is always
    /// admitted into an empty batch, whatever its size.
    private mutating func admitWaiting(budget: Int, shape: inout StepShape, entries: inout [StepPlan<Request>.Entry]) {
        var budget = budget
        while budget > 0, waitingHead < waiting.count, running.count < limits.maxRunning {
            let slot = waiting[waitingHead]
            if slot.removed {
                waitingHead += 1
                continue
            }
            // Admitted only when its whole prefill fits beside a watermark (vLLM's 1%) left for the batch's growth, so that
            // admitting it does not force a preemption at the next decode.
            guard running.isEmpty || slot.prefillRemaining + slot.cached + watermark <= limits.kvCapacityTokens - kvUsed else { break }
            let size = min(slot.prefillRemaining, budget)
            waitingHead += 1
            running.append(slot)
            let i = running.count - 1
            reserve(slot.cached, for: i)
            budget -= size
            add(size, of: i, to: &shape)
            entries.append(StepPlan.Entry(index: i, request: slot.request, prefill: size))
        }
        if waitingHead > 1024, waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
    }

    /// The next prefill chunk of running sequence `i` within `budget` and the free KV cache; nil when none fits.
    private mutating func chunk(for i: Int, budget: Int) -> Int? {
        let size = min(running[i].prefillRemaining, budget, limits.kvCapacityTokens - kvUsed)
        return size > 0 ? size : nil
    }

    private mutating func add(_ chunk: Int, of i: Int, to shape: inout StepShape) {
        reserve(chunk, for: i)
        shape.prefillTokens += chunk
        shape.prefillSequences += 1
        shape.prefillPromptTokens += running[i].promptTokens + running[i].generated
    }

    /// Tokens running sequence `i` emits in this decode step: one, or with speculation the whole part of its running sum of
    /// `tokensPerDecodeStep`, never beyond its `maxTokens`.
    private mutating func decodeTokens(for i: Int) -> Int {
        guard limits.tokensPerDecodeStep != 1 else { return 1 }
        let sum = running[i].carry + limits.tokensPerDecodeStep
        let whole = max(1, Int(sum))
        running[i].carry = max(0, sum - Double(whole))
        return min(whole, max(1, running[i].maxTokens - running[i].generated))
    }

    private mutating func reserve(_ tokens: Int, for i: Int) {
        running[i].kv += tokens
        kvUsed += tokens
    }
}

/// One planned step: its shape (which sets its duration) and what each sequence in it does.
public struct StepPlan<Request> {
    /// One sequence's part in the step.
    struct Entry {
        var index: Int
        var request: Request
        /// Prompt tokens prefilled in this step; 0 for a decode.
        var prefill: Int
        /// Tokens a decode emits in this step (more than one with speculation); 0 for a prefill chunk.
        var decode = 0
    }

    /// The shape.
    public let shape: StepShape
    let entries: [Entry]

    /// The requests in the step, in batch order.
    public var requests: [Request] { entries.map(\.request) }
}

/// A token a sequence emitted at the end of a step.
public struct Emission<Request> {
    /// The sequence.
    public var request: Request
    /// Tokens it has generated so far, this one included.
    public var tokens: Int
    /// Tokens it emitted in this step: one, or more with speculative decoding.
    public var emitted = 1
    /// True when it reached its `maxTokens` and left the batch.
    public var finished: Bool
}

extension ContinuousBatchingScheduler: Sendable where Request: Sendable {}
extension ContinuousBatchingScheduler.Slot: Sendable where Request: Sendable {}
extension StepPlan: Sendable where Request: Sendable {}
extension StepPlan.Entry: Sendable where Request: Sendable {}
extension Emission: Sendable where Request: Sendable {}
