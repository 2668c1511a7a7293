import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import TokenMeterCore
import TokenMeterModel
@testable import TokenMeterTarget

/// The target's HTTP handler and engine in an `EmbeddedChannel` on an embedded event loop: routing, refusals and faults,
/// and a stream whose steps run only when the test advances the loop's clock.
@Suite struct TargetHTTPHandlerChannelTests {
    /// A channel with the handler and its own engine on an embedded loop.
    func target(_ configuration: TargetConfiguration = TargetConfiguration()) throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let engine = EngineLoop(loop: loop, configuration: configuration)
        try channel.pipeline.syncOperations.addHandler(TargetHTTPHandler(engine: engine, configuration: configuration))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, loop)
    }

    func send(_ channel: EmbeddedChannel, _ method: HTTPMethod, _ uri: String, body: String? = nil, headers: HTTPHeaders = [:]) throws {
        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)))
        if let body { try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: body))) }
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
    }

    /// Every response part written so far: the head, and the body as text.
    func written(_ channel: EmbeddedChannel) throws -> (head: HTTPResponseHead?, body: String, ended: Bool) {
        var head: HTTPResponseHead?
        var body = ""
        var ended = false
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            switch part {
            case let .head(h): head = h
            case let .body(.byteBuffer(b)): body += String(buffer: b)
            case .body: break
            case .end: ended = true
            }
        }
        return (head, body, ended)
    }

    @Test func routesAndRefusesWhatItCannotServe() throws {
        let (channel, _) = try target(TargetConfiguration(modelName: "ref", maxRequestBytes: 64))
        try send(channel, .GET, "/v1/models")
        let models = try written(channel)
        #expect(models.head?.status == .ok && models.body.contains("\"id\":\"ref\"") && models.ended)
        try send(channel, .GET, "/nope")
        #expect(try written(channel).head?.status == .notFound)
        try send(channel, .GET, "/v1/completions")
        #expect(try written(channel).head?.status == .methodNotAllowed)
        try send(channel, .POST, "/v1/completions", body: "{nope")
        #expect(try written(channel).head?.status == .badRequest)
        try send(channel, .POST, "/v1/completions", body: #"{"prompt": 3}"#)
        let wrong = try written(channel)
        #expect(wrong.head?.status == .badRequest && wrong.body.contains("'prompt' must be a string"))
        try send(channel, .POST, "/v1/completions", body: String(repeating: "x", count: 100))
        #expect(try written(channel).head?.status == .payloadTooLarge)
    }

    @Test func tokenizesAndReportsItsEngineInPrometheusText() throws {
        let (channel, _) = try target()
        try send(channel, .POST, "/tokenize", body: #"{"prompt": "one two three"}"#)
        #expect(try written(channel).body.hasPrefix("{\"count\":3,"))
        try send(channel, .GET, "/metrics")
        let metrics = try written(channel).body
        #expect(metrics.contains("vllm:num_requests_running{model_name=\"tokenmeter-reference\"} 0.0"))
        #expect(metrics.contains("# TYPE vllm:generation_tokens_total counter"))
    }

    @Test func aStreamAdvancesOneStepPerTimerWithUsageAndDone() throws {
        let timing = ParametricStepTime(fixedMilliseconds: 10, perSequenceMilliseconds: 0, perContextTokenMicroseconds: 0, perPrefillTokenMicroseconds: 0)
        let (channel, loop) = try target(TargetConfiguration(timing: timing))
        let body = #"{"model":"m","prompt":"a b c","max_tokens":3,"stream":true,"stream_options":{"include_usage":true}}"#
        try send(channel, .POST, "/v1/completions", body: body, headers: ["X-Request-Id": "s1"])
        let head = try written(channel)
        #expect(head.head?.headers["Content-Type"] == ["text/event-stream"] && head.body.isEmpty)
        loop.advanceTime(by: .milliseconds(10))  // the prefill step: the first token
        #expect(try written(channel).body.contains("\"finish_reason\":null"))
        loop.advanceTime(by: .milliseconds(9))
        #expect(try written(channel).body.isEmpty)  // a step takes its whole duration
        loop.advanceTime(by: .milliseconds(21))
        let rest = try written(channel)
        #expect(rest.body.contains("\"finish_reason\":\"length\""))
        #expect(rest.body.contains("\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":3,\"total_tokens\":6,\"prompt_tokens_details\":{\"cached_tokens\":0}}"))
        #expect(rest.body.hasSuffix("data: [DONE]\n\n") && rest.ended)
    }

    @Test func faultsBeforeTheEngineAnswerAtOnce() throws {
        let (channel, _) = try target(TargetConfiguration(faults: FaultPlan(probabilities: [.http429: 1])))
        try send(channel, .POST, "/v1/completions", body: #"{"prompt":"x","max_tokens":2,"stream":true}"#)
        let response = try written(channel)
        #expect(response.head?.status == .tooManyRequests && response.head?.headers["Retry-After"] == ["1"])
    }

    @Test func aMidStreamErrorFaultEndsTheStreamWithAnErrorObject() throws {
        let timing = ParametricStepTime(fixedMilliseconds: 1, perSequenceMilliseconds: 0, perContextTokenMicroseconds: 0, perPrefillTokenMicroseconds: 0)
        let (channel, loop) = try target(TargetConfiguration(timing: timing, faults: FaultPlan(probabilities: [.errorMidStream: 1])))
        try send(channel, .POST, "/v1/completions", body: #"{"prompt":"x","max_tokens":4,"stream":true}"#)
        loop.advanceTime(by: .milliseconds(10))
        let response = try written(channel)
        #expect(response.body.contains("engine crashed (injected)") && response.ended)
        #expect(!response.body.contains("[DONE]"))
    }
}
