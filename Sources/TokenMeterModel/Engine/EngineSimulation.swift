import TokenMeterCore

/// The one continuous-batching scheduler on a virtual clock: a benchmark run through the engine the reference target runs,
/// with no sockets and no sleeping, step times from a `StepTiming`.
public enum EngineSimulation {
    /// What a simulated closed loop measured.
    public struct Outcome: Sendable, Equatable {
        /// Median TTFT and TPOT of the measured requests, and tokens per second per GPU over the measured window.
        public var point: OperatingPoint
        /// Requests measured (the first round, which starts in step, is left out).
        public var requests: Int
        /// Engine steps simulated.
        public var steps: Int
        /// Sequences the KV cache had to preempt.
        public var preemptions: Int
        /// Sequences running per step, on average over the measured window.
        public var meanRunning: Double
        /// TTFT and TPOT over the simulated requests, ms, with their percentiles (the point holds the medians).
        public var ttft: Distribution?
        public var tpot: Distribution?
    }

    /// One request of the simulation.
    struct Request {
        var client: Int
        var arrival: UInt64
        var firstToken: UInt64?
        var end: UInt64?
        var outputTokens: Int
    }

    /// `concurrency` clients each send a request of `inputLength` prompt and `outputLength` output tokens and the next when it
    /// ends, until `requests` have been measured after the first round. As against a real engine, the next request arrives
    /// while the step after the last token runs (the client needs the token first), unless the engine is idle. The first
    /// round's output lengths are spread evenly up to `outputLength`, so the clients do not stay in lock step (as a long
    /// benchmark's do not).
    public static func closedLoop(concurrency: Int, inputLength: Int, outputLength: Int, requests: Int, timing: any StepTiming,
                                  limits: BatchLimits, gpus: Int = 1, lockstep: Double = 0, cachedTokens: Int = 0) -> Outcome {
        let c = max(1, concurrency)
        var run = ClosedLoopRun(limits: limits, inputLength: max(1, inputLength), cachedTokens: cachedTokens)
        for (k, tokens) in firstRoundLengths(clients: c, outputLength: outputLength, lockstep: lockstep).enumerated() {
            run.submit(client: k, outputTokens: tokens, at: 0)
        }
        let firstRound = c
        var windowStart: UInt64?
        var measuredTokens = 0, runningSum = 0, measuredSteps = 0
        while run.completedAfter(firstRound) < requests {
            // Decode-only stretches (nobody arriving, nobody finishing) run at once.
            let ahead = run.returning.isEmpty ? run.scheduler.decodeOnlyStepsAhead() : 0
            if ahead > 1 {
                let first = run.scheduler.skipDecodeSteps(ahead)
                run.clock += timing.nanoseconds(decodeSteps: ahead, from: first)
                run.steps += ahead
                if windowStart != nil {
                    runningSum += first.decodingSequences * ahead
                    measuredSteps += ahead
                    measuredTokens += first.decodingSequences * ahead
                }
                continue
            }
            guard let plan = run.nextStep() else { break }
            run.clock += timing.nanoseconds(for: plan.shape)
            run.steps += 1
            let inWindow = windowStart != nil
            if inWindow {
                runningSum += plan.shape.decodingSequences + plan.shape.prefillSequences
                measuredSteps += 1
            }
            for emission in run.scheduler.finish(plan) {
                if inWindow { measuredTokens += emission.emitted }
                run.emitted(emission, nextOutputTokens: max(1, outputLength))
            }
            if windowStart == nil, run.completed.count >= firstRound { windowStart = run.clock }
        }
        let window = Double(run.clock - (windowStart ?? 0)) / 1e9
        let output = window > 0 ? Double(measuredTokens) / window / Double(gpus) : 0
        return outcome(Array(run.completed.dropFirst(firstRound)), outputPerGPU: output, inputLength: inputLength, outputLength: outputLength,
                       steps: run.steps, preemptions: run.scheduler.preemptions,
                       meanRunning: measuredSteps > 0 ? Double(runningSum) / Double(measuredSteps) : 0)
    }

    /// The first round's output lengths: clients in groups of `lockstep` × C stay in lock step (the same lengths, so they end
    /// and come back together); the groups' lengths are spread evenly up to `outputLength`, so the groups do not.
    static func firstRoundLengths(clients c: Int, outputLength: Int, lockstep: Double) -> [Int] {
        let group = max(1, Int((lockstep * Double(c)).rounded()))
        let groups = (c + group - 1) / group
        return (0..<c).map { k in max(1, (k / group + 1) * max(1, outputLength) / groups) }
    }

    /// What the measured requests of a simulated loop show: median TTFT and TPOT and their distributions, beside the loop's
    /// throughput and counts.
    static func outcome(_ measured: [Request], outputPerGPU output: Double, inputLength: Int, outputLength: Int, steps: Int, preemptions: Int,
                        meanRunning: Double) -> Outcome {
        let ttft = measured.compactMap { r in r.firstToken.map { Double($0 - r.arrival) / 1e6 } }
        let tpot = measured.compactMap { r -> Double? in
            guard let first = r.firstToken, let end = r.end, r.outputTokens > 1 else { return nil }
            return Double(end - first) / 1e6 / Double(r.outputTokens - 1)
        }
        return Outcome(
            point: OperatingPoint(ttftMilliseconds: median(ttft), tpotMilliseconds: median(tpot),
                                  inputPerGPU: output * Double(inputLength) / Double(max(outputLength, 1)), outputPerGPU: output),
            requests: measured.count, steps: steps, preemptions: preemptions, meanRunning: meanRunning, ttft: Distribution(ttft),
            tpot: Distribution(tpot))
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        return Distribution.percentile(sorted: values.sorted(), 50)
    }

    /// The state of a closed loop: the scheduler, its clock and every request.
    struct ClosedLoopRun {
        var scheduler: ContinuousBatchingScheduler<Int>
        let inputLength: Int
        var clock: UInt64 = 0
        var steps = 0
        var requests: [Request] = []
        var completed: [Request] = []
        /// Clients whose request ended in the last step: they send their next one during the step that follows.
        var returning: [(client: Int, outputTokens: Int)] = []

        /// Prompt tokens every request finds in the prefix cache.
        let cachedTokens: Int

        init(limits: BatchLimits, inputLength: Int, cachedTokens: Int) {
            scheduler = ContinuousBatchingScheduler(limits: limits)
            self.inputLength = inputLength
            self.cachedTokens = cachedTokens
        }

        func completedAfter(_ firstRound: Int) -> Int { max(0, completed.count - firstRound) }

        mutating func submit(client: Int, outputTokens: Int, at time: UInt64) {
            requests.append(Request(client: client, arrival: time, outputTokens: outputTokens))
            scheduler.arrive(requests.count - 1, promptTokens: inputLength, maxTokens: outputTokens, cachedTokens: cachedTokens)
        }

        /// Plans the next step; the returning clients' requests arrive after it started, or start one on an idle engine.
        mutating func nextStep() -> StepPlan<Int>? {
            let plan = scheduler.nextStep()
            for r in returning { submit(client: r.client, outputTokens: r.outputTokens, at: clock) }
            returning = []
            return plan ?? scheduler.nextStep()
        }

        mutating func emitted(_ emission: Emission<Int>, nextOutputTokens: Int) {
            let i = emission.request
            if emission.tokens == 1 { requests[i].firstToken = clock }
            guard emission.finished else { return }
            requests[i].end = clock
            completed.append(requests[i])
            returning.append((requests[i].client, nextOutputTokens))
        }
    }
}

extension PerformanceModel {
    /// How this deployment runs in the simulation under serving options: the scheduler's limits (a batch of `maxRunning`, the
    /// KV cache the memory leaves, the policy) and its step times. Speculative decoding emits its mean accepted tokens per
    /// decode step, each step verifying γ + 1 tokens a sequence after γ drafting passes; a prefix hit is `cachedTokens` of every
    /// prompt found cached (not prefilled), their KV held once for all `concurrency` sequences; KV offload adds host memory to
    /// the KV cache, and a step reads what its decoding sequences hold beyond HBM over the CPU–GPU link.
    func simulation(maxRunning: Int, policy: SchedulingPolicy, options: ServingOptions, concurrency: Int, inputLength: Int)
        -> (limits: BatchLimits, timing: RooflineStepTime, cachedTokens: Int)
    {
        var limits = batchLimits(maxRunning: maxRunning)
        limits.policy = policy
        if policy.budgetPerAttentionRank { limits.prefillTokensPerStep *= deployment.parallelism.attentionData }
        limits.tokensPerDecodeStep = options.speculation?.tokensPerStep ?? 1
        let cached = Int((Double(inputLength) * options.prefixHitRate).rounded())
        // The scheduler holds each sequence's cached prefix apart; the engine shares one copy.
        limits.kvCapacityTokens += cached * max(0, concurrency - 1)
        let hbm = limits.kvCapacityTokens
        if options.kvOffload {
            let perToken = kvBytesPerTokenPerGPU
            limits.kvCapacityTokens += perToken > 0 ? Int(deployment.hardware.hostMemoryBytes / perToken) * deployment.parallelism.attentionData : 0
        }
        return (limits, RooflineStepTime(model: self, speculation: options.speculation, hbmKVTokens: options.kvOffload ? hbm : nil), cached)
    }

    /// The benchmark's closed loop of `concurrency` clients run through the one scheduler on a virtual clock with these step
    /// times, under an engine's policy and the serving options (`simulation`), with the KV cache the memory leaves; the
    /// engine's per-request cost, which comes before every first token outside any step, is added to TTFT (its median and its
    /// distribution).
    public func simulateClosedLoop(concurrency: Int, inputLength: Int, outputLength: Int, policy: SchedulingPolicy,
                                   options: ServingOptions = .none, requests: Int? = nil) -> EngineSimulation.Outcome {
        let run = simulation(maxRunning: max(1024, concurrency), policy: policy, options: options, concurrency: concurrency, inputLength: inputLength)
        var outcome = EngineSimulation.closedLoop(concurrency: concurrency, inputLength: inputLength, outputLength: outputLength,
                                                  requests: requests ?? max(64, 2 * concurrency), timing: run.timing, limits: run.limits,
                                                  gpus: deployment.parallelism.gpus, lockstep: efficiency.lockstep, cachedTokens: run.cachedTokens)
        outcome.point.ttftMilliseconds += efficiency.requestMillisecondsInSimulation
        outcome.ttft = outcome.ttft?.shifted(by: efficiency.requestMillisecondsInSimulation)
        return outcome
    }
}
