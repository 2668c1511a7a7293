import TokenMeterCore

extension EngineSimulation {
    /// One pool of identical workers: how many, how long their steps take, and the limits each schedules under.
    public struct Pool: Sendable {
        /// Workers in the pool.
        public var workers: Int
        /// Step times of one worker.
        public var timing: any StepTiming
        /// The limits one worker schedules under.
        public var limits: BatchLimits
        /// GPUs of one worker.
        public var gpus: Int

        /// Creates a pool.
        public init(workers: Int, timing: any StepTiming, limits: BatchLimits, gpus: Int) {
            self.workers = max(1, workers)
            self.timing = timing
            self.limits = limits
            self.gpus = max(1, gpus)
        }
    }

    /// The benchmark's closed loop against disaggregated serving, on one virtual clock: `concurrency` clients, each sending its
    /// next request when the last ends; every prompt goes to the least-loaded prefill worker, whose step that completes it
    /// emits the first token; its KV then takes `transferNanoseconds` to reach the least-loaded decode worker, which admits
    /// it when its KV cache has room (the transferred prompt is not computed again: one token is) and decodes it with the
    /// others until its last token. TTFT is queueing, prefill and nothing else; TPOT spans the transfer and the decode
    /// worker's queue. The first two rounds (the first's lengths spread by group, as `closedLoop` does, `lockstep` × C clients
    /// together) are left out; `requests` are measured after them.
    public static func disaggregatedClosedLoop(concurrency: Int, inputLength: Int, outputLength: Int, requests: Int, prefill: Pool, decode: Pool,
                                               transferNanoseconds: UInt64, lockstep: Double = 0, cachedTokens: Int = 0) -> Outcome {
        disaggregatedClosedLoop(concurrency: concurrency, inputLength: inputLength, outputLength: outputLength, requests: requests, prefill: prefill,
                                decode: decode, transferNanoseconds: transferNanoseconds, lockstep: lockstep, cachedTokens: cachedTokens,
                                skippingStretches: true)
    }

    /// The same, with decode workers' decode-only stretches run at once (`skippingStretches`) or step by step.
    static func disaggregatedClosedLoop(concurrency: Int, inputLength: Int, outputLength: Int, requests: Int, prefill: Pool, decode: Pool,
                                        transferNanoseconds: UInt64, lockstep: Double, cachedTokens: Int, skippingStretches: Bool) -> Outcome {
        var run = DisaggregatedRun(prefill: prefill, decode: decode, inputLength: max(1, inputLength), transfer: transferNanoseconds,
                                   cachedTokens: cachedTokens)
        run.skipsStretches = skippingStretches
        let c = max(1, concurrency)
        let osl = max(1, outputLength)
        for (k, tokens) in firstRoundLengths(clients: c, outputLength: osl, lockstep: lockstep).enumerated() {
            run.submit(client: k, outputTokens: tokens, at: 0)
        }
        // The first round's prompts all queue at the prefill pool at once; the second still carries that backlog. Measured
        // from the third round on, the loop is in its steady state.
        let warm = 2 * c
        while run.completed.count - min(run.completed.count, warm) < requests, run.advance(nextOutputTokens: osl) {}
        let measured = Array(run.completed.dropFirst(warm))
        let window = Double((measured.last?.end ?? 0) - (run.completed.count > warm ? run.completed[warm - 1].end ?? 0 : 0)) / 1e9
        let gpus = prefill.workers * prefill.gpus + decode.workers * decode.gpus
        let output = window > 0 ? Double(measured.reduce(0) { $0 + $1.outputTokens }) / window / Double(gpus) : 0
        return outcome(measured, outputPerGPU: output, inputLength: inputLength, outputLength: osl, steps: run.steps,
                       preemptions: run.workers.reduce(0) { $0 + $1.scheduler.preemptions },
                       meanRunning: run.steps > 0 ? Double(run.runningSum) / Double(run.steps) : 0)
    }

    /// The state of a disaggregated closed loop: every worker, the events to come, and every request.
    struct DisaggregatedRun {
        struct Worker {
            var scheduler: ContinuousBatchingScheduler<Int>
            let timing: any StepTiming
            var plan: StepPlan<Int>?
            /// Decode-only steps running at once (nobody arriving, nobody finishing), from `start`.
            var stretch: Stretch?
            /// Bumped when a stretch is cut short, so that its end event is stale.
            var generation = 0
            var load: Int { scheduler.runningCount + scheduler.waitingCount }
        }
        struct Stretch {
            var start: UInt64
            var first: StepShape
            var steps: Int
        }
        enum Event { case stepEnd(worker: Int, generation: Int), toPrefill(request: Int), toDecode(request: Int) }

        var workers: [Worker] = []
        let prefillWorkers: Range<Int>
        let decodeWorkers: Range<Int>
        let inputLength: Int
        /// Prompt tokens every request finds in the prefill workers' prefix cache.
        let cachedTokens: Int
        let transfer: UInt64
        var events = DueHeap<Event>()
        var clock: UInt64 = 0
        var requests: [Request] = []
        var completed: [Request] = []
        var steps = 0
        var runningSum = 0
        /// Whether decode workers run their decode-only stretches at once.
        var skipsStretches = true

        init(prefill: Pool, decode: Pool, inputLength: Int, transfer: UInt64, cachedTokens: Int) {
            for _ in 0..<prefill.workers { workers.append(Worker(scheduler: ContinuousBatchingScheduler(limits: prefill.limits), timing: prefill.timing)) }
            for _ in 0..<decode.workers { workers.append(Worker(scheduler: ContinuousBatchingScheduler(limits: decode.limits), timing: decode.timing)) }
            prefillWorkers = 0..<prefill.workers
            decodeWorkers = prefill.workers..<(prefill.workers + decode.workers)
            self.inputLength = inputLength
            self.cachedTokens = cachedTokens
            self.transfer = transfer
        }

        mutating func submit(client: Int, outputTokens: Int, at time: UInt64) {
            requests.append(Request(client: client, arrival: time, outputTokens: outputTokens))
            events.push(time, .toPrefill(request: requests.count - 1))
        }

        /// Handles the next event; false when none is left.
        mutating func advance(nextOutputTokens: Int) -> Bool {
            guard let time = events.firstDue else { return false }
            let event = events.pop()
            clock = time
            switch event {
            case let .toPrefill(r):
                let w = leastLoaded(prefillWorkers)
                workers[w].scheduler.arrive(r, promptTokens: inputLength, maxTokens: 1, cachedTokens: cachedTokens)
                start(w)
            case let .toDecode(r):
                let w = leastLoaded(decodeWorkers)
                cutStretch(w)
                workers[w].scheduler.arrive(r, promptTokens: inputLength + 1, maxTokens: requests[r].outputTokens - 1, cachedTokens: inputLength)
                start(w)
            case let .stepEnd(w, generation):
                guard generation == workers[w].generation else { return true }
                if let stretch = workers[w].stretch {
                    workers[w].stretch = nil
                    record(stretch.steps, of: stretch.first)
                    start(w)
                    return true
                }
                guard let plan = workers[w].plan else { return true }
                workers[w].plan = nil
                for emission in workers[w].scheduler.finish(plan) {
                    let r = emission.request
                    if prefillWorkers.contains(w) {
                        requests[r].firstToken = clock
                        if requests[r].outputTokens > 1 { events.push(clock + transfer, .toDecode(request: r)) } else { end(r, nextOutputTokens) }
                    } else if emission.finished {
                        end(r, nextOutputTokens)
                    }
                }
                start(w)
            }
            return true
        }

        mutating func end(_ r: Int, _ nextOutputTokens: Int) {
            requests[r].end = clock
            completed.append(requests[r])
            submit(client: requests[r].client, outputTokens: nextOutputTokens, at: clock)
        }

        /// Starts a worker's next step unless one is in flight: a decode worker's decode-only stretch at once.
        mutating func start(_ w: Int) {
            guard workers[w].plan == nil, workers[w].stretch == nil else { return }
            let ahead = skipsStretches && decodeWorkers.contains(w) ? workers[w].scheduler.decodeOnlyStepsAhead() : 0
            if ahead > 1 {
                let first = workers[w].scheduler.skipDecodeSteps(ahead)
                workers[w].stretch = Stretch(start: clock, first: first, steps: ahead)
                endStep(of: w, at: clock + workers[w].timing.nanoseconds(decodeSteps: ahead, from: first))
                return
            }
            guard let plan = workers[w].scheduler.nextStep() else { return }
            workers[w].plan = plan
            record(1, of: plan.shape)
            endStep(of: w, at: clock + workers[w].timing.nanoseconds(for: plan.shape))
        }

        /// The event that ends worker `w`'s step (or stretch) in flight.
        mutating func endStep(of w: Int, at time: UInt64) {
            events.push(time, .stepEnd(worker: w, generation: workers[w].generation))
        }

        mutating func record(_ n: Int, of shape: StepShape) {
            steps += n
            runningSum += n * (shape.decodingSequences + shape.prefillSequences)
        }

        /// A request reaches a decode worker in the middle of a stretch: the steps done by now stand, the one in flight
        /// finishes, and the rest are taken back, so that the request joins the next step as it would have.
        mutating func cutStretch(_ w: Int) {
            guard let stretch = workers[w].stretch else { return }
            let timing = workers[w].timing
            func elapsed(_ k: Int) -> UInt64 { timing.nanoseconds(decodeSteps: k, from: stretch.first) }
            // Steps done by now: the most whose end is not after the clock.
            var low = 0, high = stretch.steps
            while low < high {
                let mid = (low + high + 1) / 2
                if stretch.start + elapsed(mid) <= clock { low = mid } else { high = mid - 1 }
            }
            guard low + 1 < stretch.steps else { return }  // the stretch ends with the step in flight: nothing to take back
            workers[w].scheduler.unskipDecodeSteps(stretch.steps - low - 1)
            record(low, of: stretch.first)
            let inFlight = stretch.first.afterDecodeSteps(low)
            let start = stretch.start + elapsed(low)
            workers[w].stretch = Stretch(start: start, first: inFlight, steps: 1)
            workers[w].generation += 1
            endStep(of: w, at: start + timing.nanoseconds(for: inFlight))
        }

        func leastLoaded(_ range: Range<Int>) -> Int {
            range.min { workers[$0].load < workers[$1].load } ?? range.lowerBound
        }
    }
}
