import NIOCore
import NIOHTTP1
import TokenMeterCore
import TokenMeterModel
import TokenMeterOpenAI

/// One request inside the target: what it asked for and the connection its tokens go to.
final class Sequence {
    let completion: ServerEncoding.Completion
    let requestID: String
    let promptTokens: Int
    let maxTokens: Int
    let minTokens: Int
    let ignoreEOS: Bool
    let stream: Bool
    let includeUsage: Bool
    let continuousUsage: Bool
    let keepAlive: Bool
    let channel: any Channel
    let arrival: UInt64
    /// The prompt's token ids, kept when the target has a prefix cache.
    let promptIDs: [UInt32]
    let prompt: String?
    /// Prompt tokens the prefix cache served; nil when the target has none.
    var cachedTokens: Int?
    var generated = 0
    var done = false
    var text = ""
    var tokenTimes: [UInt64] = []
    /// A mid-stream fault to inject, and at which token.
    var fault: Fault?
    var faultAtToken = 0

    init(completion: ServerEncoding.Completion, requestID: String, request: GenerateRequest, keepAlive: Bool, channel: any Channel) {
        self.completion = completion
        self.requestID = requestID
        promptTokens = request.promptTokens
        maxTokens = request.maxTokens
        minTokens = request.minTokens
        ignoreEOS = request.ignoreEOS
        stream = request.stream
        includeUsage = request.includeUsage
        continuousUsage = request.continuousUsage
        self.keepAlive = keepAlive
        self.channel = channel
        arrival = MonotonicClock.nowNanoseconds()
        promptIDs = request.promptIDs
        prompt = request.prompt
    }

    var usage: String { ServerEncoding.usage(prompt: promptTokens, completion: generated, cached: cachedTokens) }
}

/// The simulated engine on a real clock: the model's `ContinuousBatchingScheduler` plans each step, one timer per step
/// stands for its duration (`TargetConfiguration.timing`), and at its end every emitted token is written to its socket.
///
/// Lives on one event loop; every method must be called there.
final class EngineLoop {
    let loop: any EventLoop
    let configuration: TargetConfiguration
    private var scheduler: ContinuousBatchingScheduler<Sequence>
    private var nextNumber = 0
    private var rng: UInt64
    private(set) var promptTokensTotal = 0
    private(set) var generationTokensTotal = 0
    private(set) var successTotal = 0
    private(set) var abortedTotal = 0
    private(set) var stepsTotal = 0
    private(set) var faultsInjected = 0
    private(set) var groundTruth: [GroundTruthRecord] = []
    /// The simulated prefix cache, when the target has one.
    private(set) var prefixCache: PrefixCache?
    private let created = Int(MonotonicClock.nowNanoseconds() / 1_000_000_000)

    init(loop: any EventLoop, configuration: TargetConfiguration) {
        self.loop = loop
        self.configuration = configuration
        scheduler = ContinuousBatchingScheduler(limits: configuration.limits)
        prefixCache = configuration.prefixCache
        rng = configuration.seed | 1
    }

    var runningCount: Int { scheduler.runningCount }
    var waitingCount: Int { scheduler.waitingCount }
    var kvCacheUsage: Double { Double(scheduler.kvTokensInUse) / Double(configuration.limits.kvCapacityTokens) }
    var preemptions: Int { scheduler.preemptions }

    /// A new completion's number and identity.
    func makeCompletion(chat: Bool, model: String) -> ServerEncoding.Completion {
        nextNumber += 1
        return ServerEncoding.Completion(number: nextNumber, chat: chat, model: model, created: created)
    }

    /// Queues a sequence; a streamed one gets its response head at once.
    func submit(_ sequence: Sequence) {
        promptTokensTotal += sequence.promptTokens
        if sequence.stream {
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Type", value: "text/event-stream")
            head.headers.add(name: "Cache-Control", value: "no-cache")
            if !sequence.keepAlive { head.headers.add(name: "Connection", value: "close") }
            sequence.channel.writeAndFlush(HTTPServerResponsePart.head(head), promise: nil)
        }
        let blockTokens = configuration.prefixBlockTokens
        let cached = prefixCache?.lookUp(PrefixCache.blockHashes(sequence.promptIDs, blockTokens: blockTokens), promptTokens: sequence.promptTokens)
        sequence.cachedTokens = cached
        scheduler.arrive(sequence, promptTokens: sequence.promptTokens, maxTokens: sequence.maxTokens, cachedTokens: cached ?? 0)
        stepIfIdle()
    }

    /// Drops a sequence whose client went away.
    func abort(_ sequence: Sequence) {
        guard !sequence.done else { return }
        abortedTotal += 1
        _ = scheduler.remove { $0 === sequence }
        end(sequence, aborted: true)
    }

    /// Draws the fault for a new request (counted when one is drawn).
    func drawFault() -> Fault? {
        let fault = configuration.faults.draw { nextRandom() }
        if fault != nil { faultsInjected += 1 }
        return fault
    }

    private func stepIfIdle() {
        guard let plan = scheduler.nextStep() else { return }
        let duration = configuration.timing.nanoseconds(for: plan.shape)
        let step = NIOLoopBound((self, plan), eventLoop: loop)
        loop.scheduleTask(in: .nanoseconds(Int64(duration))) {
            let (engine, plan) = step.value
            engine.finishStep(plan)
        }
    }

    private func finishStep(_ plan: StepPlan<Sequence>) {
        stepsTotal += 1
        for emission in scheduler.finish(plan) where !emission.request.done { emit(emission.request, leftTheBatch: emission.finished) }
        stepIfIdle()
    }

    /// Marks a sequence done (the scheduler no longer holds it) and logs its ground truth.
    private func end(_ sequence: Sequence, aborted: Bool) {
        sequence.done = true
        if !aborted, prefixCache != nil {
            // A finished sequence's output blocks join its prompt's, so the next turn that resends the answer finds them.
            let ids = WordTokenizer.vocabularyIDs
            let output = (0..<sequence.generated).map { ids[($0 + 1 + sequence.completion.number) % ids.count] }
            prefixCache?.hold(PrefixCache.blockHashes(sequence.promptIDs + output, blockTokens: configuration.prefixBlockTokens))
        }
        guard configuration.recordGroundTruth else { return }
        groundTruth.append(GroundTruthRecord(requestID: sequence.requestID, arrivalNanoseconds: sequence.arrival,
                                             tokenNanoseconds: sequence.tokenTimes, promptTokens: sequence.promptTokens,
                                             cachedTokens: sequence.cachedTokens ?? 0, aborted: aborted, prompt: sequence.prompt))
    }

    private func nextRandom() -> Double {
        rng ^= rng << 13
        rng ^= rng >> 7
        rng ^= rng << 17
        return Double(rng >> 11) / Double(1 << 53)
    }

    /// Writes a sequence's next token (or injects its fault); `leftTheBatch` when the scheduler let it go at its `max_tokens`.
    private func emit(_ s: Sequence, leftTheBatch: Bool) {
        if let fault = s.fault, s.generated >= s.faultAtToken {
            if !leftTheBatch { _ = scheduler.remove { $0 === s } }
            end(s, aborted: true)
            fault.inject(into: s.channel, oversizedEventBytes: configuration.faults.oversizedEventBytes)
            return
        }
        s.generated += 1
        generationTokensTotal += 1
        let word = word(s, s.generated)
        let finish = finishReason(s)
        if s.stream {
            writeToken(word, of: s, finish: finish)
        } else {
            s.text += word
        }
        if configuration.recordGroundTruth { s.tokenTimes.append(MonotonicClock.nowNanoseconds()) }
        guard let finish else { return }
        if !s.stream {
            TargetHTTPHandler.respond(channel: s.channel, status: .ok,
                                      body: ServerEncoding.whole(s.completion, text: s.text, finish: finish, usage: s.usage), keepAlive: s.keepAlive)
        }
        successTotal += 1
        if !leftTheBatch { _ = scheduler.remove { $0 === s } }  // stopped early (end of sequence)
        end(s, aborted: false)
        if !s.keepAlive { s.channel.close(promise: nil) }
    }

    /// The word a sequence generates as its `k`-th token.
    private func word(_ s: Sequence, _ k: Int) -> String {
        WordTokenizer.vocabulary[(k + s.completion.number) % WordTokenizer.vocabulary.count]
    }

    /// `length` at `max_tokens`, `stop` on a drawn end of sequence once `min_tokens` are out, else nil.
    private func finishReason(_ s: Sequence) -> String? {
        if s.generated >= s.maxTokens { return "length" }
        if !s.ignoreEOS, configuration.eosProbability > 0, s.generated >= s.minTokens, nextRandom() < configuration.eosProbability {
            return "stop"
        }
        return nil
    }

    private func writeToken(_ word: String, of s: Sequence, finish: String?) {
        var frames = ServerEncoding.tokenFrames(s.completion, piece: word, first: s.generated == 1, finish: finish,
                                                usage: s.continuousUsage ? s.usage : nil)
        if finish != nil {
            if s.includeUsage { frames += ServerEncoding.usageFrame(s.completion, usage: s.usage) }
            frames += ServerEncoding.done
        }
        var buffer = s.channel.allocator.buffer(capacity: frames.utf8.count)
        buffer.writeString(frames)
        s.channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        if finish != nil { s.channel.write(HTTPServerResponsePart.end(nil), promise: nil) }
        s.channel.flush()
    }
}
