import Testing
import TokenMeterModel

/// The one scheduler on its own: admission by batch, prefill budget and KV cache, chunked prefill, first tokens, preemption.
@Suite struct ContinuousBatchingSchedulerTests {
    typealias Scheduler = ContinuousBatchingScheduler<String>

    /// Runs steps until the scheduler is idle (at most `limit`), returning each step's shape and emissions.
    func drain(_ s: inout Scheduler, limit: Int = 10_000) -> [(shape: StepShape, emitted: [Emission<String>])] {
        var steps: [(StepShape, [Emission<String>])] = []
        while steps.count < limit, let plan = s.nextStep() { steps.append((plan.shape, s.finish(plan))) }
        return steps
    }

    @Test func aPromptIsPrefilledInOneStepThenDecodesOneTokenPerStep() {
        var s = Scheduler(limits: BatchLimits(maxRunning: 8, prefillTokensPerStep: 100, kvCapacityTokens: 1000))
        s.arrive("a", promptTokens: 10, maxTokens: 3)
        let steps = drain(&s)
        #expect(steps.map(\.shape) == [
            StepShape(decodingSequences: 0, contextTokens: 0, prefillTokens: 10, prefillSequences: 1, prefillPromptTokens: 10),
            StepShape(decodingSequences: 1, contextTokens: 10, prefillTokens: 0, prefillSequences: 0, prefillPromptTokens: 0),
            StepShape(decodingSequences: 1, contextTokens: 11, prefillTokens: 0, prefillSequences: 0, prefillPromptTokens: 0),
        ])
        #expect(steps.map { $0.emitted.map(\.tokens) } == [[1], [2], [3]])
        #expect(steps.last?.emitted.first?.finished == true)
        #expect(s.isIdle && s.kvTokensInUse == 0)
    }

    @Test func aLongPromptIsPrefilledInChunksWithinTheStepBudget() {
        var s = Scheduler(limits: BatchLimits(maxRunning: 8, prefillTokensPerStep: 40, kvCapacityTokens: 1000))
        s.arrive("long", promptTokens: 100, maxTokens: 1)
        let steps = drain(&s)
        #expect(steps.map(\.shape.prefillTokens) == [40, 40, 20])
        #expect(steps.map(\.shape.prefillPromptTokens) == [100, 100, 100])
        // The first token comes at the end of the step that completes the prefill, not before.
        #expect(steps.map(\.emitted.count) == [0, 0, 1])
    }

    @Test func theBatchLimitQueuesTheRest() {
        var s = Scheduler(limits: BatchLimits(maxRunning: 2, prefillTokensPerStep: 1000, kvCapacityTokens: 10_000))
        for name in ["a", "b", "c"] { s.arrive(name, promptTokens: 5, maxTokens: 2) }
        let first = s.nextStep()!
        #expect(first.requests == ["a", "b"] && s.waitingCount == 1)
        _ = s.finish(first)
        let second = s.nextStep()!
        #expect(second.requests == ["a", "b"])  // both decode their last token; "c" still waits for a slot
        _ = s.finish(second)
        #expect(s.nextStep()!.requests == ["c"])
    }

    @Test func decodingSharesTheStepWithNewPrefills() {
        var s = Scheduler(limits: BatchLimits(maxRunning: 8, prefillTokensPerStep: 1000, kvCapacityTokens: 10_000))
        s.arrive("a", promptTokens: 5, maxTokens: 4)
        _ = s.finish(s.nextStep()!)
        s.arrive("b", promptTokens: 7, maxTokens: 4)
        let plan = s.nextStep()!
        #expect(plan.shape.decodingSequences == 1 && plan.shape.prefillTokens == 7 && plan.shape.prefillSequences == 1)
        #expect(s.finish(plan).map(\.request) == ["a", "b"])
    }

    @Test func theKVCacheLimitsAdmissionToWholePrefills() {
        // 1,000 tokens of cache, a 10-token watermark: two 400-token prompts fit, a third waits until one ends.
        var s = Scheduler(limits: BatchLimits(maxRunning: 8, prefillTokensPerStep: 10_000, kvCapacityTokens: 1000))
        for name in ["a", "b", "c"] { s.arrive(name, promptTokens: 400, maxTokens: 50) }
        let first = s.nextStep()!
        #expect(first.requests == ["a", "b"] && s.waitingCount == 1 && s.kvTokensInUse == 800)
        _ = s.finish(first)
        let steps = drain(&s)
        #expect(steps.contains { $0.shape.prefillSequences == 1 && $0.shape.prefillPromptTokens == 400 })
        #expect(s.isIdle && s.preemptions == 0)
    }

    @Test func whenDecodingOutgrowsTheCacheTheNewestSequenceIsPreemptedAndRecomputed() {
        // Two 45-token prompts fill 90 of 100 tokens (the watermark is 1); each decode adds a token per sequence.
        var s = Scheduler(limits: BatchLimits(maxRunning: 8, prefillTokensPerStep: 1000, kvCapacityTokens: 100))
        s.arrive("old", promptTokens: 45, maxTokens: 20)
        s.arrive("new", promptTokens: 45, maxTokens: 20)
        let steps = drain(&s)
        #expect(s.preemptions >= 1)
        // Every token of both is emitted exactly once, in order, preemption or not.
        for name in ["old", "new"] {
            let tokens = steps.flatMap(\.emitted).filter { $0.request == name }.map(\.tokens)
            #expect(tokens == Array(1...20), "\(name): \(tokens)")
        }
        // The preempted one prefilled its prompt and its output so far again.
        #expect(steps.contains { $0.shape.prefillTokens > 45 || ($0.shape.prefillSequences == 1 && $0.shape.prefillPromptTokens > 45) })
        #expect(s.isIdle && s.kvTokensInUse == 0)
    }

    @Test func aRemovedSequenceEmitsNothingMoreAndFreesItsCache() {
        var s = Scheduler(limits: BatchLimits(maxRunning: 8, prefillTokensPerStep: 1000, kvCapacityTokens: 1000))
        s.arrive("stays", promptTokens: 10, maxTokens: 5)
        s.arrive("goes", promptTokens: 10, maxTokens: 5)
        s.arrive("queued", promptTokens: 10, maxTokens: 5)
        let plan = s.nextStep()!
        #expect(s.remove { $0 == "goes" })  // during the step: released when it ends
        #expect(s.remove { $0 == "queued" })
        #expect(!s.remove { $0 == "nobody" })
        #expect(s.finish(plan).map(\.request) == ["stays"])
        let rest = drain(&s)
        #expect(rest.allSatisfy { $0.emitted.allSatisfy { $0.request == "stays" } })
        #expect(s.isIdle && s.kvTokensInUse == 0)
    }

    @Test func oneStepAtATime() {
        var s = Scheduler(limits: .default)
        #expect(s.nextStep() == nil)
        s.arrive("a", promptTokens: 3, maxTokens: 2)
        let plan = s.nextStep()
        #expect(plan != nil && s.stepInFlight && s.nextStep() == nil)
        _ = s.finish(plan!)
        #expect(!s.stepInFlight)
    }
    /// The engines' policies: SGLang's prefill-first runs an admissible prompt's prefill alone; TRT-LLM's one token budget
    /// counts the decodes, and so does vLLM V1's (`max_num_batched_tokens`), which prefills beside every decode.
    @Test(arguments: SchedulingPolicy.allCases)
    func eachEnginePolicyPutsPrefillsAndDecodesIntoItsSteps(_ policy: SchedulingPolicy) {
        var s = Scheduler(limits: BatchLimits(maxRunning: 8, prefillTokensPerStep: 100, kvCapacityTokens: 10_000, policy: policy))
        for name in ["a", "b", "c"] { s.arrive(name, promptTokens: 10, maxTokens: 5) }
        _ = drain(&s, limit: 1)  // the three prompts prefilled together; they now decode
        s.arrive("d", promptTokens: 200, maxTokens: 5)
        guard let plan = s.nextStep() else { Issue.record("no step"); return }
        switch policy {
        case .prefillFirst:
            #expect(plan.shape.decodingSequences == 0 && plan.shape.prefillTokens == 100, "\(plan.shape)")
        case .sharedTokenBudget, .decodesFirst:
            #expect(plan.shape.decodingSequences == 3 && plan.shape.prefillTokens == 97, "\(plan.shape)")
        }
        #expect(SchedulingPolicy(engine: "sglang") == .prefillFirst && SchedulingPolicy(engine: "trtllm") == .sharedTokenBudget
                && SchedulingPolicy(engine: "vllm") == .decodesFirst)
    }
}

@Suite struct SchedulerPrefixCacheTests {
    @Test func cachedTokensAreHeldButNotPrefilled() throws {
        var s = ContinuousBatchingScheduler<Int>(limits: BatchLimits(maxRunning: 4, prefillTokensPerStep: 100, kvCapacityTokens: 10_000))
        s.arrive(1, promptTokens: 1000, maxTokens: 2, cachedTokens: 960)
        let planned = s.nextStep()
        let step = try #require(planned)
        #expect(step.shape.prefillTokens == 40, "only the uncached 40 tokens are computed")
        #expect(s.kvTokensInUse == 1000, "the cached blocks' KV is held too")
        let emitted = s.finish(step)
        #expect(emitted.count == 1, "the first token comes at the end of the one prefill step")
        s.arrive(2, promptTokens: 10, maxTokens: 1, cachedTokens: 10)
        let again = s.nextStep()
        let next = try #require(again)
        #expect(next.shape.prefillTokens == 1, "at least one token is always computed")
    }
}

/// Decode-only stretches skipped at once, as the simulation does, against the same steps run one by one.
extension ContinuousBatchingSchedulerTests {
    /// Two sequences decoding (prompts 10 and 20; 6 and 9 tokens to generate), after their prefill step.
    func twoDecoding(kv: Int = 1000, speculation: Double = 1) -> Scheduler {
        var limits = BatchLimits(maxRunning: 8, prefillTokensPerStep: 100, kvCapacityTokens: kv)
        limits.tokensPerDecodeStep = speculation
        var s = Scheduler(limits: limits)
        s.arrive("a", promptTokens: 10, maxTokens: 6)
        s.arrive("b", promptTokens: 20, maxTokens: 9)
        _ = s.finish(s.nextStep()!)
        return s
    }

    @Test func decodeOnlyStepsAreSkippedAsIfRunOneByOne() {
        var skipped = twoDecoding(), stepped = twoDecoding()
        // "a" has 5 tokens to go: 4 steps leave it its last one.
        #expect(skipped.decodeOnlyStepsAhead() == 4)
        let first = skipped.skipDecodeSteps(4)
        #expect(first == StepShape(decodingSequences: 2, contextTokens: 30, prefillTokens: 0, prefillSequences: 0))
        let shapes = (0..<4).map { _ in
            let plan = stepped.nextStep()!
            _ = stepped.finish(plan)
            return plan.shape
        }
        #expect(shapes.map(\.contextTokens) == [30, 32, 34, 36])
        #expect(skipped.kvTokensInUse == stepped.kvTokensInUse && skipped.runningCount == stepped.runningCount)
        // What follows is the same: "a" finishes at the next step, "b" four steps later.
        let rest = drain(&skipped), same = drain(&stepped)
        #expect(rest.map(\.shape) == same.map(\.shape))
        #expect(rest.map { $0.emitted.map(\.tokens) } == same.map { $0.emitted.map(\.tokens) })
        #expect(rest.first?.emitted.first { $0.request == "a" }?.finished == true)
    }

    @Test func skippedStepsTakenBackLeaveTheStateOfTheStepsThatStand() {
        var back = twoDecoding(), two = twoDecoding()
        _ = back.skipDecodeSteps(4)
        back.unskipDecodeSteps(2)
        _ = two.skipDecodeSteps(2)
        #expect(back.kvTokensInUse == two.kvTokensInUse && back.decodeOnlyStepsAhead() == two.decodeOnlyStepsAhead())
        #expect(drain(&back).map(\.shape) == drain(&two).map(\.shape))
    }

    @Test func nothingIsSkippedWhileAPromptWaitsOrTheKVCacheWouldFillOrWithSpeculation() {
        var waiting = twoDecoding()
        waiting.arrive("c", promptTokens: 5, maxTokens: 2)
        #expect(waiting.decodeOnlyStepsAhead() == 0)
        // The 30 prompt tokens held (the first tokens' KV comes with the next step): room for 3 steps of two in a cache of 37.
        #expect(twoDecoding(kv: 37).decodeOnlyStepsAhead() == 3)
        #expect(twoDecoding(speculation: 2.5).decodeOnlyStepsAhead() == 0)
        var inFlight = twoDecoding()
        _ = inFlight.nextStep()
        #expect(inFlight.decodeOnlyStepsAhead() == 0)
    }
}
