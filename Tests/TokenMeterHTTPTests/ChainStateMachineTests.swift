import Testing
import TokenMeterCore
@testable import TokenMeterHTTP

/// The chain's decisions on their own: retry, deliver, go on on this connection, move on, stop — including a server that
/// closes every connection after a response while saying keep-alive (llama.cpp's), without llama.cpp.
@Suite struct ChainStateMachineTests {
    func request(_ tag: Int) -> ChainedRequest {
        ChainedRequest(request: PreparedRequest(uri: "/v1/completions", headers: [], body: [], expectsEventStream: true), requestID: nil, tag: tag)
    }

    func answered(keepAlive: Bool = true) -> RawResponse {
        var r = RawResponse()
        r.status = 200
        r.bytesReceived = 100
        r.keepAlive = keepAlive
        return r
    }

    var closedBeforeAnyByte: RawResponse {
        var r = RawResponse()
        r.failure = RequestFailure(kind: .reset, message: "connection closed before the request could be sent")
        return r
    }

    @Test func keptAliveConnectionsCarryTheChainFromRequestToRequest() throws {
        var s = ChainStateMachine(current: request(0), retries: 0, reused: false)
        guard case let .write(first) = s.start() else { Issue.record("not written"); return }
        #expect(first.tag == 0 && s.phase == .inFlight)
        guard case let .deliver(done, response, noteKept) = s.responseEnded(answered()) else { Issue.record("not delivered"); return }
        #expect(done.tag == 0 && response.connectionRetries == 0 && !noteKept)
        guard case let .write(next) = s.proceed(next: request(1), reusable: true) else { Issue.record("did not go on"); return }
        #expect(next.tag == 1)
        guard case let .deliver(_, _, kept) = s.responseEnded(answered()) else { Issue.record("not delivered"); return }
        #expect(kept)  // the second request on a reused connection got an answer
        guard case .exit(.ended(reusable: true)) = s.proceed(next: nil, reusable: true) else { Issue.record("did not end"); return }
        #expect(s.phase == .exited)
    }

    @Test func aReusedConnectionTheServerHadClosedIsRetriedOnceOnAFreshOne() {
        var s = ChainStateMachine(current: request(7), retries: 0, reused: true)
        _ = s.start()
        guard case let .retryOnFreshConnection(again) = s.responseEnded(closedBeforeAnyByte) else { Issue.record("no retry"); return }
        #expect(again.tag == 7)
        // On the fresh connection (retries 1), the same failure is the request's answer: no second retry.
        var fresh = ChainStateMachine(current: again, retries: 1, reused: false)
        _ = fresh.start()
        guard case let .deliver(_, response, _) = fresh.responseEnded(closedBeforeAnyByte) else { Issue.record("retried twice"); return }
        #expect(response.connectionRetries == 1 && response.failure?.kind == .reset)
    }

    @Test func aServerThatClosesAfterEveryResponseStopsConnectionReuse() {
        // As against llama.cpp's server: each next request on the kept-alive connection fails before a byte.
        let history = ReuseHistory()
        var retries = 0
        var chain = ChainStateMachine(current: request(0), retries: 0, reused: false)
        for tag in 0..<8 {
            _ = chain.start()
            guard case .deliver = chain.responseEnded(answered()) else { Issue.record("request \(tag) not delivered"); return }
            let reusable = !history.serverCloses
            switch chain.proceed(next: request(tag + 1), reusable: reusable) {
            case .write:
                // Written into a connection the server is closing: the failure comes back before any byte.
                guard case let .retryOnFreshConnection(again) = chain.responseEnded(closedBeforeAnyByte) else { Issue.record("no retry"); return }
                history.closedByServer()
                retries += 1
                chain = ChainStateMachine(current: again, retries: 1, reused: false)
            case let .exit(.moveOn(next)):
                chain = ChainStateMachine(current: next, retries: 0, reused: false)
            case .exit:
                Issue.record("the chain ended early")
                return
            }
        }
        // Three wasted writes, then a new connection per request.
        #expect(retries == 3 && history.serverCloses)
    }

    @Test func aCancelBeforeTheSendTimeReportsItInsteadOfWriting() {
        var s = ChainStateMachine(current: request(3), retries: 0, reused: false)
        let onConnection = s.cancel()
        #expect(!onConnection)  // not written yet: nothing to cancel on the connection
        guard case let .cancelledBeforeSending(r) = s.start() else { Issue.record("written after a cancel"); return }
        #expect(r.tag == 3 && s.phase == .exited && !s.wantsNext)
        guard case .none = s.start() else { Issue.record("started twice"); return }
    }

    @Test func aCancelInFlightClaimsNoNextRequest() {
        var s = ChainStateMachine(current: request(0), retries: 0, reused: false)
        _ = s.start()
        let onConnection = s.cancel()
        #expect(onConnection && !s.wantsNext)
        guard case .exit(.ended) = s.proceed(next: request(1), reusable: true) else { Issue.record("went on after a cancel"); return }
    }

    @Test func connectRetriesOnlyForATimeoutWhileOtherConnectionsAreOpen() {
        #expect(ChainStateMachine.retriesConnect(timedOut: true, retries: 0, otherConnectionsOpen: true, cancelled: false))
        #expect(ChainStateMachine.retriesConnect(timedOut: true, retries: 1, otherConnectionsOpen: true, cancelled: false))
        #expect(!ChainStateMachine.retriesConnect(timedOut: true, retries: 2, otherConnectionsOpen: true, cancelled: false))
        #expect(!ChainStateMachine.retriesConnect(timedOut: true, retries: 0, otherConnectionsOpen: false, cancelled: false))
        #expect(!ChainStateMachine.retriesConnect(timedOut: false, retries: 0, otherConnectionsOpen: true, cancelled: false))
        #expect(!ChainStateMachine.retriesConnect(timedOut: true, retries: 0, otherConnectionsOpen: true, cancelled: true))
    }
}
