import Testing
import TokenMeterCore
@testable import TokenMeterHTTP

/// The response state machine on its own: events in, actions out, no socket.
@Suite struct ResponseStateMachineTests {
    let settings = ExchangeSettings(timeouts: ClientTimeouts(readSeconds: 1, totalSeconds: 10), maxBodyBytes: 8, maxEventBytes: 64)

    func body(_ s: inout ResponseStateMachine, _ text: String, at now: UInt64) -> ResponseStateMachine.Action {
        Array(text.utf8).withUnsafeBytes { s.bodyReceived($0, now: now) }
    }

    func finished(_ action: ResponseStateMachine.Action) -> (response: RawResponse, close: Bool)? {
        if case let .finish(response, close) = action { return (response, close) }
        return nil
    }

    @Test func anEventStreamIsFramedPerReadAndEndsKeptAlive() throws {
        var s = ResponseStateMachine()
        s.requestSent(settings: settings, now: 100)
        #expect(s.phase == .awaitingHead)
        _ = s.headReceived(status: 200, keepAlive: true, contentType: "text/event-stream; charset=utf-8", now: 150)
        #expect(s.phase == .streaming)
        _ = body(&s, "data: a\n\ndata: b\n\nda", at: 200)
        s.readComplete()
        _ = body(&s, "ta: c\n\n", at: 300)
        let ended = s.endReceived(now: 310)
        let (response, close) = try #require(finished(ended))
        #expect(!close && s.phase == .idle)
        #expect(response.events.map { String(decoding: $0.data, as: UTF8.self) } == ["a", "b", "c"])
        #expect(response.events.map(\.timeNanoseconds) == [200, 200, 300] && response.events.map(\.readIndex) == [0, 0, 1])
        #expect(response.sentNanoseconds == 100 && response.headNanoseconds == 150 && response.endNanoseconds == 310)
        #expect(response.status == 200 && response.failure == nil)
    }

    @Test func anErrorResponseKeepsItsBodyUpToTheLimitAndClosesWhenTheServerSaysSo() throws {
        var s = ResponseStateMachine()
        s.requestSent(settings: settings, now: 0)
        _ = s.headReceived(status: 429, keepAlive: false, contentType: "text/event-stream", now: 1)
        #expect(s.phase == .buffering)  // not 2xx: not an event stream, whatever its type says
        _ = body(&s, "{\"error\": \"slow down\"}", at: 2)
        let ended = s.endReceived(now: 3)
        let (response, close) = try #require(finished(ended))
        #expect(close && response.status == 429 && response.body.count == 8 && response.bytesReceived == 23)
    }

    @Test func anOversizedEventFailsTheRequestAndClosesTheConnection() throws {
        var s = ResponseStateMachine()
        s.requestSent(settings: settings, now: 0)
        _ = s.headReceived(status: 200, keepAlive: true, contentType: "text/event-stream", now: 1)
        let ended = body(&s, "data: " + String(repeating: "x", count: 100), at: 2)
        let (response, close) = try #require(finished(ended))
        #expect(close && response.failure?.kind == .malformed)
        #expect(s.phase == .idle)
    }

    @Test func readAndTotalTimeouts() throws {
        var s = ResponseStateMachine()
        s.requestSent(settings: settings, now: 0)
        let nothing = s.checkTimeouts(now: 900_000_000)
        #expect(finished(nothing) == nil)
        _ = s.headReceived(status: 200, keepAlive: true, contentType: "text/event-stream", now: 900_000_000)
        let ended = s.checkTimeouts(now: 1_900_000_001)
        let (silent, close) = try #require(finished(ended))
        #expect(close && silent.failure?.kind == .timeout && silent.failure?.message.contains("read timeout") == true)
        // A stream that keeps talking still ends at the total timeout.
        s.requestSent(settings: settings, now: 0)
        for t in stride(from: UInt64(0), through: 10_000_000_000, by: 500_000_000) { _ = body(&s, ": ping\n", at: t) }
        let late = s.checkTimeouts(now: 10_000_000_001)
        let total = try #require(finished(late))
        #expect(total.response.failure?.message.contains("total timeout") == true)
    }

    @Test func aFailureWhileIdleRefusesTheNextRequestWithIt() throws {
        var s = ResponseStateMachine()
        let nothing = s.failed(RequestFailure(kind: .connect, message: "TLS handshake failed"), now: 1)
        #expect(finished(nothing) == nil)
        let noCancel = s.cancel(now: 2)
        #expect(finished(noCancel) == nil)  // nothing in flight: nothing to cancel
        #expect(s.refusal.failure?.message == "TLS handshake failed")
    }

    @Test func aConnectionThatClosesMidStreamIsAResetThatKeepsItsEvents() throws {
        var s = ResponseStateMachine()
        s.requestSent(settings: settings, now: 0)
        _ = s.headReceived(status: 200, keepAlive: true, contentType: "text/event-stream", now: 1)
        _ = body(&s, "data: a\n\n", at: 2)
        let ended = s.channelInactive(now: 3)
        let (response, close) = try #require(finished(ended))
        #expect(!close && response.failure?.kind == .reset && response.events.count == 1)
        let nothing = s.endReceived(now: 4)
        #expect(finished(nothing) == nil)  // nothing more arrives for a finished exchange
    }
}
