import Testing
import TokenMeterCore
import TokenMeterDialects
import TokenMeterHTTP

/// Each dialect's stream and whole answer decoded into the one record, on PROTOCOLS.md's examples.
@Suite struct DialectDecoderTests {
    func raw(_ payloads: [String], status: Int = 200, headers: [(String, String)] = [], body: String = "") -> RawResponse {
        var r = RawResponse()
        r.sentNanoseconds = 1_000
        r.headNanoseconds = 2_000
        r.status = status
        r.contentType = payloads.isEmpty ? "application/json" : "text/event-stream"
        r.events = payloads.enumerated().map { i, p in RawEvent(timeNanoseconds: UInt64(10_000 + i * 1_000), readIndex: i, data: Array(p.utf8)) }
        r.body = Array(body.utf8)
        r.rateLimitHeaders = headers
        r.endNanoseconds = 99_000
        return r
    }

    func interpret(_ raw: RawResponse, api: APIKind, streamed: Bool = true) -> RequestRecord {
        var record = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 5, promptTokensExact: true, maxTokens: 3)
        ResponseInterpreter.apply(raw, streamed: streamed, api: api, to: &record)
        return record
    }

    /// PROTOCOLS.md §4.3: thinking, then a tool call; the input and cache usage from message_start, the output from message_delta.
    static let anthropicStream = [
        #"{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":14,"cache_creation_input_tokens":2031,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":2031},"output_tokens":2}}}"#,
        #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
        #"{"type":"ping"}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Need live data."}}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}"#,
        #"{"type":"content_block_stop","index":0}"#,
        #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}"#,
        #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Os"}}"#,
        #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"lo\"}"}}"#,
        #"{"type":"content_block_stop","index":1}"#,
        #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":74}}"#,
        #"{"type":"message_stop"}"#,
    ]

    @Test func anthropicThinkingAndToolUse() {
        let r = interpret(raw(Self.anthropicStream), api: .anthropic)
        #expect(r.succeeded)
        #expect(r.responseID == "msg_01")
        #expect(r.events.map(\.reasoning).joined() == "Need live data.")
        #expect(r.events.map(\.toolArguments).joined() == #"{"city": "Oslo"}"#)
        #expect(r.joinedContent.isEmpty)
        #expect(r.finishReason == "tool_calls")
        #expect(r.usage == Usage(promptTokens: 14 + 2031, completionTokens: 74, cachedPromptTokens: 0, cacheWriteTokens: 2031,
                                 cacheWrite5mTokens: 0, cacheWrite1hTokens: 2031))
        // TTFT is the thinking delta (event 4), TTFO the first tool fragment (event 8).
        let latency = try! #require(RequestLatency(r))
        #expect(latency.ttftMs == Double(13_000 - 1_000) / 1e6)
        #expect(latency.ttfoMs == Double(17_000 - 1_000) / 1e6)
    }

    @Test func anthropicErrorsAndTruncation() {
        let overloaded = interpret(raw([Self.anthropicStream[0], #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#]), api: .anthropic)
        #expect(overloaded.failure?.kind == .overloaded)
        #expect(overloaded.failure?.message == "Overloaded")
        let cut = interpret(raw(Array(Self.anthropicStream.prefix(5))), api: .anthropic)
        #expect(cut.failure == RequestFailure(kind: .malformed, message: "stream ended without message_stop"))
        #expect(cut.events.map(\.reasoning).joined() == "Need live data.", "what arrived is kept")
        let limited = interpret(raw([], status: 429, headers: [("retry-after", "7"), ("anthropic-ratelimit-requests-remaining", "0")],
                                    body: #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests exceeded"}}"#), api: .anthropic)
        #expect(limited.failure == RequestFailure(kind: .rateLimited, message: "HTTP 429: Number of requests exceeded", httpStatus: 429))
        #expect(limited.rateLimit == ["retry-after": "7", "anthropic-ratelimit-requests-remaining": "0"])
        let busy = interpret(raw([], status: 529, body: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#), api: .anthropic)
        #expect(busy.failure?.kind == .overloaded)
    }

    /// PROTOCOLS.md §3.3: a reasoning summary, then text; `output_text.done` repeats the text and is not counted again.
    static let responsesStream = [
        #"{"type":"response.created","sequence_number":0,"response":{"id":"resp_9","object":"response","status":"in_progress","model":"m2","output":[],"usage":null}}"#,
        #"{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}}"#,
        #"{"type":"response.reasoning_summary_text.delta","sequence_number":4,"item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Comparing options"}"#,
        #"{"type":"response.output_item.added","sequence_number":8,"output_index":1,"item":{"id":"msg_1","type":"message","role":"assistant","status":"in_progress","content":[]}}"#,
        #"{"type":"response.content_part.added","sequence_number":9,"item_id":"msg_1","output_index":1,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}"#,
        #"{"type":"response.output_text.delta","sequence_number":10,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"Use B.","logprobs":[]}"#,
        #"{"type":"response.output_text.done","sequence_number":11,"item_id":"msg_1","output_index":1,"content_index":0,"text":"Use B.","logprobs":[]}"#,
        #"{"type":"response.completed","sequence_number":14,"response":{"id":"resp_9","object":"response","status":"completed","model":"m2","output":[],"usage":{"input_tokens":540,"input_tokens_details":{"cached_tokens":512,"cache_write_tokens":0},"output_tokens":96,"output_tokens_details":{"reasoning_tokens":88},"total_tokens":636}}}"#,
    ]

    @Test func responsesReasoningThenText() {
        let r = interpret(raw(Self.responsesStream), api: .responses)
        #expect(r.succeeded)
        #expect(r.responseID == "resp_9")
        #expect(r.joinedContent == "Use B.")
        #expect(r.events.map(\.reasoning).joined() == "Comparing options")
        #expect(r.finishReason == "stop")
        #expect(r.usage == Usage(promptTokens: 540, completionTokens: 96, reasoningTokens: 88, cachedPromptTokens: 512, cacheWriteTokens: 0))
        #expect(r.reasoningTokens == 88 && r.answerTokens == 8)
    }

    @Test func responsesTerminalVariants() {
        let incomplete = #"{"type":"response.incomplete","sequence_number":3,"response":{"id":"resp_2","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":5,"output_tokens":3}}}"#
        let r = interpret(raw([Self.responsesStream[0], #"{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{}"}"#, incomplete]), api: .responses)
        #expect(r.succeeded && r.finishReason == "length" && r.usage?.completionTokens == 3)
        #expect(r.events.map(\.toolArguments).joined() == "{}")
        let failed = #"{"type":"response.failed","sequence_number":3,"response":{"id":"resp_2","status":"failed","error":{"code":"rate_limit_exceeded","message":"slow down"}}}"#
        #expect(interpret(raw([Self.responsesStream[0], failed]), api: .responses).failure == RequestFailure(kind: .rateLimited, message: "slow down"))
        let error = #"{"type":"error","sequence_number":1,"code":"server_error","message":"boom","param":null}"#
        #expect(interpret(raw([error]), api: .responses).failure == RequestFailure(kind: .serverError, message: "boom"))
        let cut = interpret(raw(Array(Self.responsesStream.prefix(6))), api: .responses)
        #expect(cut.failure?.message == "stream ended without response.completed")
        #expect(interpret(raw(Self.responsesStream + ["[DONE]"]), api: .responses).succeeded, "a trailing [DONE] is tolerated")
    }

    @Test func chatToolCallsAndHTTPClasses() {
        let r = interpret(raw([
            #"{"id":"c9","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"#,
            #"{"id":"c9","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}"#,
            #"{"id":"c9","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]},"finish_reason":null}]}"#,
            #"{"id":"c9","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            "[DONE]",
        ]), api: .chat)
        #expect(r.succeeded && r.responseID == "c9" && r.finishReason == "tool_calls")
        #expect(r.events.map(\.toolArguments).joined() == #"{"city":"Oslo"}"#)
        #expect(r.tokenEvents.count == 2, "the call's name alone is not a token")
        let cases: [(Int, [(String, String)], ErrorKind)] = [
            (429, [], .rateLimited), (529, [], .overloaded), (503, [("retry-after", "2")], .overloaded), (503, [], .httpStatus), (500, [], .httpStatus),
        ]
        for (status, headers, kind) in cases {
            #expect(interpret(raw([], status: status, headers: headers, body: #"{"error":{"message":"x"}}"#), api: .chat).failure?.kind == kind, "\(status)")
        }
    }

    @Test func wholeAnswersInEveryDialect() {
        let message = #"{"id":"msg_1","type":"message","content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"cache_read_input_tokens":7,"output_tokens":4}}"#
        let a = interpret(raw([], body: message), api: .anthropic, streamed: false)
        #expect(a.succeeded && a.joinedContent == "Hi" && a.events[0].reasoning == "hm" && a.finishReason == "stop")
        #expect(a.usage == Usage(promptTokens: 10, completionTokens: 4, cachedPromptTokens: 7))
        let response = #"{"id":"resp_1","status":"completed","output":[{"type":"reasoning","summary":[{"type":"summary_text","text":"s"}]},{"type":"message","content":[{"type":"output_text","text":"Yes"}]}],"usage":{"input_tokens":9,"output_tokens":5,"output_tokens_details":{"reasoning_tokens":2}}}"#
        let o = interpret(raw([], body: response), api: .responses, streamed: false)
        #expect(o.succeeded && o.joinedContent == "Yes" && o.events[0].reasoning == "s" && o.usage?.reasoningTokens == 2)
        let embedding = #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"usage":{"prompt_tokens":6,"total_tokens":6}}"#
        let e = interpret(raw([], body: embedding), api: .embeddings, streamed: false)
        #expect(e.succeeded && e.usage == Usage(promptTokens: 6, completionTokens: 0) && e.events.isEmpty)
        #expect(RequestLatency(e)?.e2eMs == Double(99_000 - 1_000) / 1e6, "an embedding's latency is its whole exchange")
        #expect(interpret(raw([], body: #"{"object":"list","data":[]}"#), api: .embeddings, streamed: false).failure?.kind == .malformed)
    }
}
