import Foundation
import Testing
@testable import TokenMeterCore

/// The hand-written record reader and writer against Foundation's coders: same bytes out, same record back.
@Suite struct RequestRecordFastJSONTests {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Every field set, strings with every character class an escape exists for.
    static func fullRecord() -> RequestRecord {
        var r = RequestRecord(id: -7, phase: .warmup, scheduledNanoseconds: UInt64.max - 3, promptTokensPlanned: 128, promptTokensExact: true,
                              maxTokens: 64)
        r.sentNanoseconds = 9_007_199_254_740_993  // 2^53 + 1: not a Double
        r.responseHeadNanoseconds = 2
        r.completedNanoseconds = 3
        r.firstSentNanoseconds = 1
        r.events = [StreamEvent(timeNanoseconds: 10, readIndex: 1, content: "a \"quoted\" \\ back/slash\n\t\r\u{08}\u{0C}\u{01}\u{1F}\u{7F} é 😀"),
                    StreamEvent(timeNanoseconds: 11, readIndex: 1, reasoning: "think", toolArguments: "{\"x\":1}", tokens: 3),
                    StreamEvent(timeNanoseconds: 12, readIndex: 2)]
        r.usage = Usage(promptTokens: 128, completionTokens: 4, reasoningTokens: 3, cachedPromptTokens: 64, cacheWriteTokens: 5,
                        cacheWrite5mTokens: 2, cacheWrite1hTokens: 3)
        r.finishReason = "length"
        r.httpStatus = 200
        r.failure = RequestFailure(kind: .rateLimited, message: "slow down / \"now\"", httpStatus: 429)
        r.connectionRetries = 2
        r.streamed = false
        r.usageFrames = 2
        r.usageDecreased = true
        r.localOutputTokens = 5
        r.conversation = 4
        r.attempts = 3
        r.rateLimit = ["x-ratelimit-remaining": "0", "retry-after": "2", "anthropic-ratelimit-tokens-reset": "2026-12-06T00:00:00Z"]
        r.responseID = "chatcmpl-1"
        r.call = 6
        return r
    }

    @Test func everyFieldOfTheTestRecordIsSet() {
        // A field added to RequestRecord and left nil here would not be checked by the tests below.
        for child in Mirror(reflecting: Self.fullRecord()).children {
            let description = String(describing: child.value)
            #expect(description != "nil", "\(child.label ?? "?") is nil in the test record")
        }
    }

    @Test(arguments: [fullRecord(), RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 0, promptTokensExact: false,
                                                  maxTokens: 0)])
    func writesTheBytesJSONEncoderWritesAndReadsThemBack(_ record: RequestRecord) throws {
        var fast: [UInt8] = []
        record.writeJSON(to: &fast)
        let foundation = try Self.encoder().encode(record)
        #expect(String(decoding: fast, as: UTF8.self) == String(decoding: foundation, as: UTF8.self))
        let parsed = try fast.withUnsafeBufferPointer { buffer in
            var p = JSONParser(bytes: buffer)
            return try RequestRecord.parse(&p)
        }
        #expect(parsed == record)
        #expect(parsed == (try JSONDecoder().decode(RequestRecord.self, from: foundation)))
    }

    @Test(arguments: [
        #"{"id":1.5,"phase":"measured","t_sched_ns":0,"prompt_tokens_planned":0,"prompt_tokens_exact":false,"max_tokens":0,"events":[],"connection_retries":0,"streamed":true}"#,
        #"{"id":1,"phase":"measured","t_sched_ns":0,"prompt_tokens_planned":0,"prompt_tokens_exact":false,"max_tokens":0,"events":[],"connection_retries":0,"streamed":true,"new_field":1}"#,
        #"{"id":1,"phase":"measured","t_sched_ns":0,"prompt_tokens_planned":0,"prompt_tokens_exact":false,"max_tokens":0,"events":[]}"#,
        #"{"id":1,"phase":"later","t_sched_ns":0,"prompt_tokens_planned":0,"prompt_tokens_exact":false,"max_tokens":0,"events":[],"connection_retries":0,"streamed":true}"#,
    ])
    func aShapeItDoesNotKnowThrowsSoTheCallerFallsBack(_ line: String) {
        let bytes = Array(line.utf8)
        #expect(throws: JSONParseError.self) {
            try bytes.withUnsafeBufferPointer { buffer in
                var p = JSONParser(bytes: buffer)
                _ = try RequestRecord.parse(&p)
            }
        }
    }

    @Test func nullOptionalsReadAsNil() throws {
        let line = #"{"id":1,"phase":"measured","t_sched_ns":5,"prompt_tokens_planned":0,"prompt_tokens_exact":false,"max_tokens":0,"events":[{"t_ns":7,"read":0,"tokens":null}],"connection_retries":0,"streamed":true,"usage":null,"t_send_ns":null}"#
        let bytes = Array(line.utf8)
        let fast = try bytes.withUnsafeBufferPointer { buffer in
            var p = JSONParser(bytes: buffer)
            return try RequestRecord.parse(&p)
        }
        #expect(fast == (try JSONDecoder().decode(RequestRecord.self, from: Data(bytes))))
    }
}
