import Testing
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects

@Suite struct ResponseInterpreterTests {
    func raw(_ payloads: [String], status: Int = 200, failure: RequestFailure? = nil) -> RawResponse {
        var r = RawResponse()
        r.sentNanoseconds = 1_000
        r.headNanoseconds = 2_000
        r.status = status
        r.contentType = "text/event-stream"
        r.events = payloads.enumerated().map { i, p in RawEvent(timeNanoseconds: UInt64(10_000 + i * 1_000), readIndex: i, data: Array(p.utf8)) }
        r.endNanoseconds = 99_000
        r.failure = failure
        return r
    }

    func interpret(_ raw: RawResponse, streamed: Bool = true) -> RequestRecord {
        var record = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 5, promptTokensExact: true, maxTokens: 3)
        ResponseInterpreter.apply(raw, streamed: streamed, to: &record)
        return record
    }

    @Test func completionsStreamWithUsageFrame() {
        let r = interpret(raw([
            #"{"choices":[{"index":0,"text":" a","finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"text":" b","finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"text":" c","finish_reason":"length"}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":2}}}"#,
            "[DONE]",
        ]))
        #expect(r.succeeded)
        #expect(r.joinedContent == " a b c")
        #expect(r.usage == Usage(promptTokens: 5, completionTokens: 3, cachedPromptTokens: 2))
        #expect(r.finishReason == "length")
        #expect(r.tokenEvents.count == 3)
        #expect(r.outputTokens == 3)
    }

    @Test func chatStreamWithRoleChunkAndReasoning() {
        let r = interpret(raw([
            #"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            #"{"choices":[{"index":0,"delta":{"reasoning_content":"think"}}]}"#,
            #"{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"completion_tokens_details":{"reasoning_tokens":1}}}"#,
            "[DONE]",
        ]))
        #expect(r.succeeded)
        #expect(r.events.count == 4)
        #expect(r.tokenEvents.count == 2)
        #expect(r.tokenEvents[0].reasoning == "think")
        #expect(r.usage?.reasoningTokens == 1)
        let latency = RequestLatency(r)
        #expect(latency?.ttfoMs ?? 0 > latency?.ttftMs ?? 0)
    }

    @Test func continuousUsageGivesTokenDeltas() {
        let r = interpret(raw([
            #"{"choices":[{"text":" a"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#,
            #"{"choices":[{"text":" b c d"}],"usage":{"prompt_tokens":5,"completion_tokens":4}}"#,
            #"{"choices":[{"text":" e","finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":5}}"#,
            "[DONE]",
        ]))
        #expect(r.events.map(\.tokens) == [1, 3, 1])
        #expect(r.outputTokens == 5)
    }

    @Test func deltasAreDroppedWhenSomeTokenEventLacksUsage() {
        let r = interpret(raw([
            #"{"choices":[{"text":" a"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#,
            #"{"choices":[{"text":" b","finish_reason":"length"}]}"#,
            "[DONE]",
        ]))
        #expect(r.events.allSatisfy { $0.tokens == nil })
    }

    @Test func errorObjectMidStreamKeepsEarlierTokens() {
        let r = interpret(raw([
            #"{"choices":[{"text":" a"}]}"#,
            #"{"error":{"message":"engine overloaded","code":503}}"#,
        ]))
        #expect(r.failure?.kind == .serverError)
        #expect(r.failure?.message == "engine overloaded")
        #expect(r.tokenEvents.count == 1)
    }

    @Test func malformedEventIsClassified() {
        let r = interpret(raw([#"{"choices":[{"text":" a"}]}"#, "{not json"]))
        #expect(r.failure?.kind == .malformed)
    }

    @Test func streamWithoutDoneOrFinishIsMalformed() {
        let r = interpret(raw([#"{"choices":[{"text":" a"}]}"#]))
        #expect(r.failure?.kind == .malformed)
    }

    @Test func httpErrorCarriesTheServerMessage() {
        var response = raw([], status: 404)
        response.body = Array(#"{"error":{"message":"model 'x' not found"}}"#.utf8)
        let r = interpret(response)
        #expect(r.failure == RequestFailure(kind: .httpStatus, message: "HTTP 404: model 'x' not found", httpStatus: 404))
    }

    @Test func transportFailureIsKeptWithPartialTokens() {
        let r = interpret(raw([#"{"choices":[{"text":" a"}]}"#], failure: RequestFailure(kind: .reset, message: "closed")))
        #expect(r.failure?.kind == .reset)
        #expect(r.outputTokens == 1)
        #expect(!r.succeeded)
    }

    @Test func nonStreamedBody() {
        var response = raw([])
        response.contentType = "application/json"
        response.body = Array(#"{"choices":[{"message":{"content":"hello there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#.utf8)
        let r = interpret(response, streamed: false)
        #expect(r.succeeded)
        #expect(r.joinedContent == "hello there")
        #expect(r.outputTokens == 2)
        #expect(r.streamed == false)
    }

    @Test func wrongContentTypeForAStreamIsMalformed() {
        var response = raw([])
        response.contentType = "application/json"
        response.body = Array(#"{"choices":[]}"#.utf8)
        #expect(interpret(response).failure?.kind == .malformed)
    }
}
