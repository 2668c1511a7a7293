import Foundation
import NIOCore
import NIOHTTP1
import TokenMeterCore
import TokenMeterModel
import TokenMeterDialects

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
    /// Generation requests that reached the handler, whatever became of them (refused, faulted, answered).
    private(set) var requestsReceived = 0
    private(set) var groundTruth: [GroundTruthRecord] = []
    /// The simulated prefix cache, when the target has one.
    private(set) var prefixCache: PrefixCache?
    /// The request-rate limit, when the target has one.
    private var limiter: RateLimiter?
    /// Requests refused by the rate limit.
    private(set) var rateLimitedTotal = 0
    /// Stored Responses answers (prompt and answer text) by id, for `previous_response_id`.
    private var stored = StoredResponses(capacityBytes: 64 << 20)
    /// Unix seconds, for the `created` fields.
    private let created = Int(Date().timeIntervalSince1970)

    init(loop: any EventLoop, configuration: TargetConfiguration) {
        self.loop = loop
        self.configuration = configuration
        scheduler = ContinuousBatchingScheduler(limits: configuration.limits)
        prefixCache = configuration.prefixCache
        limiter = configuration.rateLimit.map(RateLimiter.init)
        rng = configuration.seed | 1
    }

    var runningCount: Int { scheduler.runningCount }
    var waitingCount: Int { scheduler.waitingCount }
    var kvCacheUsage: Double { Double(scheduler.kvTokensInUse) / Double(configuration.limits.kvCapacityTokens) }
    var preemptions: Int { scheduler.preemptions }

    /// Counts a generation request that arrived.
    func received() { requestsReceived += 1 }

    /// A new answer's number and identity.
    func makeCompletion(api: APIKind, model: String) -> ServerEncoding.Completion {
        nextNumber += 1
        return ServerEncoding.Completion(number: nextNumber, api: api, model: model, created: created, reasoningField: configuration.reasoningField)
    }

    /// The rate limit's verdict on a request arriving now in dialect `api`, with the headers its answer carries (none
    /// without a limit); a refusal is counted.
    func admit(api: APIKind) -> (admitted: Bool, headers: [(String, String)]) {
        guard var limiter else { return (true, []) }
        let verdict = limiter.admit(now: MonotonicClock.nowNanoseconds())
        self.limiter = limiter
        if !verdict.admitted { rateLimitedTotal += 1 }
        let headers = RateLimiter.headers(limit: limiter.limit, remaining: verdict.remaining, resetSeconds: verdict.resetSeconds, api: api,
                                          retry: !verdict.admitted)
        return (verdict.admitted, headers)
    }

    /// The prompt and answer of a stored Responses answer.
    func storedResponse(_ id: String) -> String? { stored.text(id) }

    /// Queues a sequence; a streamed one gets its response head at once.
    func submit(_ sequence: Sequence) {
        promptTokensTotal += sequence.promptTokens
        if sequence.request.stream {
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Type", value: "text/event-stream")
            head.headers.add(name: "Cache-Control", value: "no-cache")
            for (name, value) in sequence.headers { head.headers.add(name: name, value: value) }
            if !sequence.keepAlive { head.headers.add(name: "Connection", value: "close") }
            sequence.channel.writeAndFlush(HTTPServerResponsePart.head(head), promise: nil)
        }
        // Anthropic reads and writes its cache only where a request marks a breakpoint.
        let reads = sequence.request.api != .anthropic || sequence.request.cacheTTL != nil
        let hashes = PrefixCache.blockHashes(sequence.request.promptIDs, blockTokens: configuration.prefixBlockTokens)
        let cached = reads ? prefixCache?.lookUp(hashes, promptTokens: sequence.promptTokens) : nil
        sequence.cachedTokens = cached ?? (sequence.request.api == .anthropic && prefixCache != nil ? 0 : nil)
        if sequence.request.cacheTTL != nil, prefixCache != nil {
            // What a breakpoint writes: the whole blocks of the prompt that were not read.
            let whole = sequence.promptTokens / configuration.prefixBlockTokens * configuration.prefixBlockTokens
            sequence.cacheWriteTokens = max(0, whole - (cached ?? 0))
        }
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
            prefixCache?.hold(PrefixCache.blockHashes(sequence.request.promptIDs + output, blockTokens: configuration.prefixBlockTokens))
        }
        if !aborted, sequence.request.store, let prompt = sequence.request.prompt {
            stored.keep(sequence.completion.id, text: prompt + "\n" + sequence.reasoningText + sequence.answerText + sequence.toolText)
        }
        guard configuration.recordGroundTruth else { return }
        groundTruth.append(GroundTruthRecord(requestID: sequence.requestID, arrivalNanoseconds: sequence.arrival,
                                             tokenNanoseconds: sequence.tokenTimes, promptTokens: sequence.promptTokens,
                                             cachedTokens: sequence.cachedTokens ?? 0, aborted: aborted,
                                             prompt: configuration.recordPrompts ? sequence.request.prompt : nil))
    }

    private func nextRandom() -> Double {
        rng ^= rng << 13
        rng ^= rng >> 7
        rng ^= rng << 17
        return Double(rng >> 11) / Double(1 << 53)
    }

    /// Writes a sequence's next token (or injects its fault); `leftTheBatch` when the scheduler let it go at its `max_tokens`.
    private func emit(_ s: Sequence, leftTheBatch: Bool) {
        if let fault = s.fault, fault.midStream, s.generated >= s.faultAtToken {
            if !leftTheBatch { _ = scheduler.remove { $0 === s } }
            end(s, aborted: true)
            fault.inject(into: s.channel, api: s.request.api, oversizedEventBytes: configuration.faults.oversizedEventBytes)
            return
        }
        s.generated += 1
        let finish = finishReason(s)
        if s.request.api == .embeddings {
            // An embedding is its prefill: the one step's "token" is the vector.
            let body = ServerEncoding.embeddings(model: s.request.model ?? configuration.modelName, inputs: s.request.inputs,
                                                 promptTokens: s.promptTokens, seed: s.completion.number)
            TargetHTTPHandler.respond(channel: s.channel, status: .ok, body: body, keepAlive: s.keepAlive, extraHeaders: s.headers)
            successTotal += 1
            finished(s, leftTheBatch: leftTheBatch)
            return
        }
        generationTokensTotal += 1
        let k = s.generated
        let part = s.part(k)
        let piece = s.piece(word(s, k), k, last: finish != nil)
        let finishWord = finish.map { part == .tool && $0 == "length" ? "tool_calls" : $0 }
        if s.request.stream {
            writeToken(piece, part: part, of: s, finish: finishWord)
        }
        if !s.request.stream || s.request.store {
            switch part {
            case .reasoning: s.reasoningText += piece
            case .answer: s.answerText += piece
            case .tool: s.toolText += piece
            }
        }
        if configuration.recordGroundTruth { s.tokenTimes.append(MonotonicClock.nowNanoseconds()) }
        guard let finishWord else { return }
        if !s.request.stream {
            TargetHTTPHandler.respond(channel: s.channel, status: .ok, body: wholeAnswer(s, finish: finishWord), keepAlive: s.keepAlive,
                                      extraHeaders: s.headers)
        }
        successTotal += 1
        finished(s, leftTheBatch: leftTheBatch)
    }

    /// A sequence that answered in full leaves the batch (if it stopped early) and the target.
    private func finished(_ s: Sequence, leftTheBatch: Bool) {
        if !leftTheBatch { _ = scheduler.remove { $0 === s } }  // stopped early (end of sequence)
        end(s, aborted: false)
        if !s.keepAlive { s.channel.close(promise: nil) }
    }

    /// A whole (non-streamed) answer in the sequence's dialect.
    private func wholeAnswer(_ s: Sequence, finish: String) -> String {
        let c = s.completion
        switch s.request.api {
        case .anthropic: return ServerEncoding.wholeMessage(c, reasoning: s.reasoningText, answer: s.answerText, tool: s.toolText, finish: finish, usage: s.usage)
        case .responses: return ServerEncoding.wholeResponse(c, reasoning: s.reasoningText, answer: s.answerText, tool: s.toolText, finish: finish, usage: s.usage)
        default: return ServerEncoding.whole(c, reasoning: s.reasoningText, answer: s.answerText, tool: s.toolText, finish: finish, usage: s.usage)
        }
    }

    /// The word a sequence generates as its `k`-th token.
    private func word(_ s: Sequence, _ k: Int) -> String {
        WordTokenizer.vocabulary[(k + s.completion.number) % WordTokenizer.vocabulary.count]
    }

    /// `length` at `max_tokens`, `stop` on a drawn end of sequence once `min_tokens` are out, else nil.
    private func finishReason(_ s: Sequence) -> String? {
        if s.generated >= s.maxTokens { return "length" }
        if !s.request.ignoreEOS, configuration.eosProbability > 0, s.generated >= s.request.minTokens, s.generated > s.reasoningTokens,
           nextRandom() < configuration.eosProbability {
            return "stop"
        }
        return nil
    }

    private func writeToken(_ piece: String, part: OutputPart, of s: Sequence, finish: String?) {
        var frames = s.stream.token(piece, part: part, finish: finish, usage: s.usage, everyChunk: s.request.continuousUsage)
        if let finish { frames += s.stream.finish(finish, usage: s.usage, includeUsage: s.request.includeUsage) }
        var buffer = s.channel.allocator.buffer(capacity: frames.utf8.count)
        buffer.writeString(frames)
        s.channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        if finish != nil { s.channel.write(HTTPServerResponsePart.end(nil), promise: nil) }
        s.channel.flush()
    }
}
