import NIOCore
import NIOHTTP1
import TokenMeterCore

/// When each token of one request was written to its socket: the target's ground truth.
public struct GroundTruthRecord: Codable, Sendable, Equatable {
    /// The client's `X-Request-Id`, or the target's own sequence number.
    public var requestID: String
    /// When the request was handed to the engine (monotonic ns).
    public var arrivalNanoseconds: UInt64
    /// When each output token's chunk was flushed to the socket (monotonic ns).
    public var tokenNanoseconds: [UInt64]
    /// Prompt tokens the target counted.
    public var promptTokens: Int
    /// Whether the client went away before the end.
    public var aborted: Bool

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", arrivalNanoseconds = "t_arrival_ns", tokenNanoseconds = "t_token_ns"
        case promptTokens = "prompt_tokens", aborted
    }
}

/// One request inside the simulated engine.
final class Sequence {
    let number: Int
    let requestID: String
    let chat: Bool
    let model: String
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
    var generated = 0
    var prefilled = false
    var done = false
    var text = ""
    var tokenTimes: [UInt64] = []
    /// A mid-stream fault to inject, and at which token.
    var fault: Fault?
    var faultAtToken = 0

    init(number: Int, requestID: String, chat: Bool, model: String, promptTokens: Int, maxTokens: Int, minTokens: Int,
         ignoreEOS: Bool, stream: Bool, includeUsage: Bool, continuousUsage: Bool, keepAlive: Bool, channel: any Channel) {
        self.number = number
        self.requestID = requestID
        self.chat = chat
        self.model = model
        self.promptTokens = promptTokens
        self.maxTokens = maxTokens
        self.minTokens = minTokens
        self.ignoreEOS = ignoreEOS
        self.stream = stream
        self.includeUsage = includeUsage
        self.continuousUsage = continuousUsage
        self.keepAlive = keepAlive
        self.channel = channel
        self.arrival = MonotonicClock.nowNanoseconds()
    }
}

/// A continuous-batching engine simulator: a queue, a step loop that admits up to a batch limit,
/// prefill in proportion to prompt tokens, one token per running sequence per step.
///
/// Lives on one event loop; every method must be called there. One timer per step, not per token.
final class Engine {
    let loop: any EventLoop
    let configuration: TargetConfiguration
    private var waiting: [Sequence] = []
    private var waitingHead = 0
    private var running: [Sequence] = []
    private var stepScheduled = false
    private var nextNumber = 0
    private var rng: UInt64
    private(set) var promptTokensTotal = 0
    private(set) var generationTokensTotal = 0
    private(set) var successTotal = 0
    private(set) var abortedTotal = 0
    private(set) var stepsTotal = 0
    private(set) var faultsInjected = 0
    private(set) var groundTruth: [GroundTruthRecord] = []
    private let created = Int(MonotonicClock.nowNanoseconds() / 1_000_000_000)

    init(loop: any EventLoop, configuration: TargetConfiguration) {
        self.loop = loop
        self.configuration = configuration
        rng = configuration.seed | 1
    }

    var runningCount: Int { running.count }
    var waitingCount: Int { waiting.count - waitingHead }
    var contextTokens: Int { running.reduce(0) { $0 + $1.promptTokens + $1.generated } }

    func makeNumber() -> Int {
        nextNumber += 1
        return nextNumber
    }

    func submit(_ sequence: Sequence) {
        promptTokensTotal += sequence.promptTokens
        if sequence.stream {
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Type", value: "text/event-stream")
            head.headers.add(name: "Cache-Control", value: "no-cache")
            if !sequence.keepAlive { head.headers.add(name: "Connection", value: "close") }
            sequence.channel.writeAndFlush(HTTPServerResponsePart.head(head), promise: nil)
        }
        waiting.append(sequence)
        scheduleIfIdle()
    }

    /// Drops a sequence whose client went away.
    func abort(_ sequence: Sequence) {
        guard !sequence.done else { return }
        sequence.done = true
        abortedTotal += 1
        recordGroundTruth(sequence, aborted: true)
    }

    private func scheduleIfIdle() {
        guard !stepScheduled, waitingCount > 0 || !running.isEmpty else { return }
        stepScheduled = true
        // Admit what fits, then price the step.
        var admitted: [Sequence] = []
        var prefillTokens = 0
        while waitingHead < waiting.count, running.count + admitted.count < configuration.maxBatch {
            let next = waiting[waitingHead]
            if next.done { waitingHead += 1; continue }
            if !admitted.isEmpty, prefillTokens + next.promptTokens > configuration.maxPrefillTokens { break }
            admitted.append(next)
            prefillTokens += next.promptTokens
            waitingHead += 1
        }
        if waitingHead > 1024, waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
        let decoding = running
        let shape = StepShape(decodingSequences: decoding.count, contextTokens: contextTokens, prefillTokens: prefillTokens,
                              prefillSequences: admitted.count)
        let duration = configuration.timing.nanoseconds(for: shape)
        let step = NIOLoopBound((self, decoding, admitted), eventLoop: loop)
        loop.scheduleTask(in: .nanoseconds(Int64(duration))) {
            let (engine, decoding, admitted) = step.value
            engine.finishStep(decoding: decoding, admitted: admitted)
        }
    }

    private func finishStep(decoding: [Sequence], admitted: [Sequence]) {
        stepsTotal += 1
        for sequence in decoding where !sequence.done { emit(sequence) }
        for sequence in admitted where !sequence.done {
            sequence.prefilled = true
            running.append(sequence)
            emit(sequence)
        }
        running.removeAll { $0.done }
        stepScheduled = false
        scheduleIfIdle()
    }

    /// Draws the fault for a new request (counted when one is drawn).
    func drawFault() -> Fault? {
        let fault = configuration.faults.draw { nextRandom() }
        if fault != nil { faultsInjected += 1 }
        return fault
    }

    private func nextRandom() -> Double {
        rng ^= rng << 13
        rng ^= rng >> 7
        rng ^= rng << 17
        return Double(rng >> 11) / Double(1 << 53)
    }

    /// Carries out a mid-stream fault; true when the sequence is over.
    private func injectFault(_ s: Sequence, _ fault: Fault) {
        s.done = true
        recordGroundTruth(s, aborted: true)
        var frame = ""
        switch fault {
        case .resetMidStream:
            s.channel.close(promise: nil)
            return
        case .stall:
            return  // the connection stays open and silent until the client gives up
        case .cutWithoutDone:
            s.channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            return
        case .malformedFrame: frame = "data: {\"choices\": [{\"text\": unquoted\n\n"
        case .errorMidStream: frame = "data: {\"error\": {\"message\": \"engine crashed (injected)\", \"code\": 500}}\n\n"
        case .oversizedEvent: frame = "data: {\"choices\":[{\"text\":\"" + String(repeating: "x", count: configuration.faults.oversizedEventBytes) + "\"}]}\n\n"
        default: return
        }
        var buffer = s.channel.allocator.buffer(capacity: frame.utf8.count)
        buffer.writeString(frame)
        s.channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        s.channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
    }

    private func emit(_ s: Sequence) {
        if let fault = s.fault, s.generated >= s.faultAtToken {
            injectFault(s, fault)
            return
        }
        s.generated += 1
        generationTokensTotal += 1
        let word = WordTokenizer.vocabulary[(s.generated + s.number) % WordTokenizer.vocabulary.count]
        var finish: String?
        if s.generated >= s.maxTokens {
            finish = "length"
        } else if !s.ignoreEOS, configuration.eosProbability > 0, s.generated >= s.minTokens, nextRandom() < configuration.eosProbability {
            finish = "stop"
        }
        if s.stream {
            var frames = ""
            if s.chat, s.generated == 1 {
                frames += frame(s, choice: #"{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}"#, usage: false)
            }
            let piece = Self.escape(word)
            let finishJSON = finish.map { "\"\($0)\"" } ?? "null"
            let choice = s.chat
                ? #"{"index":0,"delta":{"content":"\#(piece)"},"finish_reason":\#(finishJSON)}"#
                : #"{"index":0,"text":"\#(piece)","logprobs":null,"finish_reason":\#(finishJSON)}"#
            frames += frame(s, choice: choice, usage: s.continuousUsage)
            if finish != nil {
                if s.includeUsage { frames += "data: {\"id\":\"\(id(s))\",\"object\":\"\(object(s))\",\"created\":\(created),\"model\":\"\(s.model)\",\"choices\":[],\"usage\":\(usage(s))}\n\n" }
                frames += "data: [DONE]\n\n"
            }
            var buffer = s.channel.allocator.buffer(capacity: frames.utf8.count)
            buffer.writeString(frames)
            s.channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
            if finish != nil { s.channel.write(HTTPServerResponsePart.end(nil), promise: nil) }
            s.channel.flush()
            if configuration.recordGroundTruth { s.tokenTimes.append(MonotonicClock.nowNanoseconds()) }
        } else {
            s.text += word
            if configuration.recordGroundTruth { s.tokenTimes.append(MonotonicClock.nowNanoseconds()) }
        }
        guard let finish else { return }
        if !s.stream { respondWhole(s, finish: finish) }
        s.done = true
        successTotal += 1
        recordGroundTruth(s, aborted: false)
        if !s.keepAlive { s.channel.close(promise: nil) }
    }

    private func respondWhole(_ s: Sequence, finish: String) {
        let text = Self.escape(s.text)
        let choice = s.chat
            ? #"{"index":0,"message":{"role":"assistant","content":"\#(text)"},"finish_reason":"\#(finish)"}"#
            : #"{"index":0,"text":"\#(text)","logprobs":null,"finish_reason":"\#(finish)"}"#
        let body = "{\"id\":\"\(id(s))\",\"object\":\"\(s.chat ? "chat.completion" : "text_completion")\",\"created\":\(created),\"model\":\"\(s.model)\",\"choices\":[\(choice)],\"usage\":\(usage(s))}"
        TargetHTTPHandler.respond(channel: s.channel, status: .ok, body: body, keepAlive: s.keepAlive)
    }

    private func id(_ s: Sequence) -> String { s.chat ? "chatcmpl-\(s.number)" : "cmpl-\(s.number)" }
    private func object(_ s: Sequence) -> String { s.chat ? "chat.completion.chunk" : "text_completion" }

    private func usage(_ s: Sequence) -> String {
        "{\"prompt_tokens\":\(s.promptTokens),\"completion_tokens\":\(s.generated),\"total_tokens\":\(s.promptTokens + s.generated)}"
    }

    private func frame(_ s: Sequence, choice: String, usage withUsage: Bool) -> String {
        let usagePart = withUsage ? ",\"usage\":\(usage(s))" : ""
        return "data: {\"id\":\"\(id(s))\",\"object\":\"\(object(s))\",\"created\":\(created),\"model\":\"\(s.model)\",\"choices\":[\(choice)]\(usagePart)}\n\n"
    }

    private func recordGroundTruth(_ s: Sequence, aborted: Bool) {
        guard configuration.recordGroundTruth else { return }
        groundTruth.append(GroundTruthRecord(requestID: s.requestID, arrivalNanoseconds: s.arrival, tokenNanoseconds: s.tokenTimes,
                                             promptTokens: s.promptTokens, aborted: aborted))
    }

    static func escape(_ s: String) -> String {
        var out = ""
        JSONValue.writeString(s, to: &out)
        return String(out.dropFirst().dropLast())
    }
}
