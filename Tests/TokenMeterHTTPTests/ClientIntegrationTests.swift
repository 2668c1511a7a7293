import NIOCore
import Synchronization
import Testing
import TokenMeterCore
@testable import TokenMeterHTTP
import TokenMeterDialects
import TokenMeterTestSupport

/// The client against a scripted loopback server: quirks of real engines and the faults a load generator must survive.
@Suite struct ClientIntegrationTests {
    func request(stream: Bool = true) -> PreparedRequest {
        RequestBuilder.request(prompt: .text("a b c"), maxTokens: 4, options: RequestOptions(api: .completions, model: "m", stream: stream),
                               address: EndpointAddress(host: "127.0.0.1", port: 1))
    }

    func interpret(_ raw: RawResponse) -> RequestRecord {
        var record = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 3, promptTokensExact: true, maxTokens: 4)
        ResponseInterpreter.apply(raw, streamed: true, to: &record)
        return record
    }

    @Test func serverThatClosesAfterEachStreamLosesNoRequest() async throws {
        // llama.cpp closes the connection after a stream while advertising keep-alive.
        let server = try await ScriptedServer([.stream(completionFrames(4), closeAfter: true)])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        var succeeded = 0
        for _ in 0..<20 {
            let record = interpret(await client.execute(request()))
            if record.succeeded, record.outputTokens == 4 { succeeded += 1 }
            try await Task.sleep(nanoseconds: 2_000_000)  // let the close arrive so the next request meets a stale connection
        }
        #expect(succeeded == 20)
        #expect(server.requests == 20)
        await client.shutdown()
        await server.stop()
    }

    @Test func staleKeepAliveConnectionIsRetriedOnceOnAFreshOne() async throws {
        // First request succeeds and keeps the connection; the server then closes it on the next request without answering.
        let server = try await ScriptedServer([.stream(completionFrames(2)), .closeImmediately, .stream(completionFrames(2))])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        #expect(interpret(await client.execute(request())).succeeded)
        let raw = await client.execute(request())
        #expect(raw.connectionRetries == 1)
        #expect(interpret(raw).succeeded)
        #expect(server.requests == 3)
        await client.shutdown()
        await server.stop()
    }

    @Test func aRetryOpensANewConnectionInsteadOfTakingAnotherPooledOne() async throws {
        // Two overlapping streams leave two pooled connections; the next request finds the first one closed by the server.
        let server = try await ScriptedServer([.stream(completionFrames(4), gapMilliseconds: 20), .stream(completionFrames(4), gapMilliseconds: 20),
                                               .closeImmediately, .stream(completionFrames(2))])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        async let first = client.execute(request())
        async let second = client.execute(request())
        let (a, b) = await (first, second)
        #expect(interpret(a).succeeded && interpret(b).succeeded)
        #expect(server.connections == 2)
        let raw = await client.execute(request())
        #expect(raw.connectionRetries == 1)
        #expect(interpret(raw).succeeded)
        // The other pooled connection may be just as stale (llama.cpp closes every one after a stream): the retry is fresh.
        #expect(server.connections == 3)
        await client.shutdown()
        await server.stop()
    }

    @Test func requestsReuseConnections() async throws {
        let server = try await ScriptedServer([.stream(completionFrames(2))])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        for _ in 0..<10 { #expect(interpret(await client.execute(request())).succeeded) }
        #expect(server.connections == 1)
        await client.shutdown()
        await server.stop()
    }

    @Test func httpErrorsAreClassifiedWithTheirMessage() async throws {
        let server = try await ScriptedServer([.status(503, #"{"error":{"message":"overloaded, retry later"}}"#)])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        let record = interpret(await client.execute(request()))
        #expect(record.failure == RequestFailure(kind: .httpStatus, message: "HTTP 503: overloaded, retry later", httpStatus: 503))
        await client.shutdown()
        await server.stop()
    }

    @Test func streamCutMidwayIsAResetThatKeepsItsTokens() async throws {
        let server = try await ScriptedServer([.cut(Array(completionFrames(5).prefix(3)))])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        let record = interpret(await client.execute(request()))
        #expect(record.failure?.kind == .reset)
        #expect(record.tokenEvents.count == 3)
        await client.shutdown()
        await server.stop()
    }

    @Test func stallLongerThanTheReadTimeoutTimesOut() async throws {
        let server = try await ScriptedServer([.stall])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1, timeouts: ClientTimeouts(readSeconds: 0.3))
        let start = MonotonicClock.nowNanoseconds()
        let record = interpret(await client.execute(request()))
        let seconds = Double(MonotonicClock.nowNanoseconds() - start) / 1e9
        #expect(record.failure?.kind == .timeout)
        // The message says which side went quiet: here the server, after its head.
        #expect(record.failure?.message.hasSuffix("(read timeout); HTTP 200 and 0 events had arrived") == true, "\(record.failure?.message ?? "")")
        #expect(seconds >= 0.3 && seconds < 10)  // times out instead of hanging, even on a loaded machine
        await client.shutdown()
        await server.stop()
    }

    @Test func wrongContentTypeIsMalformed() async throws {
        let server = try await ScriptedServer([.status(200, "<html>login</html>", contentType: "text/html")])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        #expect(interpret(await client.execute(request())).failure?.kind == .malformed)
        await client.shutdown()
        await server.stop()
    }

    @Test func oversizedEventIsMalformed() async throws {
        let big = "data: {\"choices\":[{\"text\":\"" + String(repeating: "x", count: 4096) + "\"}]}\n\n"
        let server = try await ScriptedServer([.stream([big] + completionFrames(1))])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1, maxEventBytes: 1024)
        #expect(interpret(await client.execute(request())).failure?.kind == .malformed)
        await client.shutdown()
        await server.stop()
    }

    @Test func refusedConnectionIsAConnectFailure() async throws {
        let closed = ClosedPort()
        let port = closed.port
        let client = StreamingHTTPClient(host: "127.0.0.1", port: port, threads: 1)
        let raw = await client.execute(request())
        #expect(raw.failure?.kind == .connect)
        #expect(raw.failure?.message.contains("127.0.0.1:\(port)") == true)
        await client.shutdown()
        withExtendedLifetime(closed) {}
    }

    /// A connect that times out while the client holds other connections to the server (an overflowing accept queue) is
    /// tried twice more, since nothing was sent; a refused one (above) fails at once.
    @Test func aConnectTimeoutWhileTheServerIsReachableIsRetried() async throws {
        let queue = FullAcceptQueue()
        let client = StreamingHTTPClient(host: "127.0.0.1", port: queue.port, threads: 1,
                                         timeouts: ClientTimeouts(readSeconds: 4, totalSeconds: 10, connectSeconds: 0.5))
        let started = MonotonicClock.nowNanoseconds()
        let responses = await withTaskGroup(of: RawResponse.self) { group in
            for _ in 0..<6 { group.addTask { await client.execute(request()) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let seconds = Double(MonotonicClock.nowNanoseconds() - started) / 1e9
        await client.shutdown()
        withExtendedLifetime(queue) {}
        // The queue holds one or two connections (their requests time out waiting for an answer); the others never connect.
        let unconnected = responses.filter { $0.failure?.kind == .connect }
        #expect(!unconnected.isEmpty && unconnected.count < 6, "\(responses.map { $0.failure?.message ?? "ok" })")
        for response in unconnected {
            #expect(response.connectionRetries == 2)
            #expect(response.failure?.message.contains("timeout") == true, "\(response.failure?.message ?? "")")
        }
        #expect(responses.filter { $0.failure?.kind == .timeout }.count == 6 - unconnected.count)
        #expect(seconds >= 1.5 && seconds < 9, "\(seconds) s")
    }

    @Test func cancellationEndsAnInFlightRequest() async throws {
        let server = try await ScriptedServer([.stall])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        let task = Task { await client.execute(request()) }
        try await Task.sleep(nanoseconds: 100_000_000)
        task.cancel()
        let raw = await task.value
        #expect(raw.failure?.kind == .cancelled)
        await client.shutdown()
        await server.stop()
    }

    /// A request with a send time goes out at that time, never before, and one cancelled before its time is never sent.
    @Test func aTimedSendGoesOutAtItsTimeAndACancelledOneNever() async throws {
        let server = try await ScriptedServer([.stream(completionFrames(2))])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        await client.preconnect(2)
        let sendAt = MonotonicClock.nowNanoseconds() + 300_000_000
        let box = ResponseBox()
        await client.runChain(first: ChainedRequest(request: request(), requestID: "timed", tag: 0),
                              hooks: ChainHooks(next: { nil }, completed: { _, response in box.store(response) }), sendAt: sendAt)
        let sent = try #require(box.load().sentNanoseconds)
        #expect(box.load().failure == nil)
        #expect(sent >= sendAt && sent - sendAt < 50_000_000, "sent \(Double(Int64(sent) - Int64(sendAt)) / 1e6) ms after its time")

        let cancelled = Task {
            let box = ResponseBox()
            await client.runChain(first: ChainedRequest(request: request(), requestID: "never", tag: 1),
                                  hooks: ChainHooks(next: { nil }, completed: { _, response in box.store(response) }),
                                  sendAt: MonotonicClock.nowNanoseconds() + 5_000_000_000)
            return box.load()
        }
        try await Task.sleep(nanoseconds: 100_000_000)
        let started = MonotonicClock.nowNanoseconds()
        cancelled.cancel()
        let raw = await cancelled.value
        #expect(raw.failure?.kind == .cancelled)
        #expect(raw.failure?.message == "cancelled before sending")
        #expect(MonotonicClock.nowNanoseconds() - started < 1_000_000_000, "the cancel waited for the send time")
        try await Task.sleep(nanoseconds: 200_000_000)
        #expect(server.requests == 1)
        await client.shutdown()
        await server.stop()
    }

    /// A chain sends its requests one after another on one kept-alive connection, hands back every response in order, and
    /// moves to a new connection when the server closes the one it used.
    @Test func aChainRunsBackToBackAndSurvivesAClosedConnection() async throws {
        let server = try await ScriptedServer([.stream(completionFrames(2)), .stream(completionFrames(2), closeAfter: true),
                                               .stream(completionFrames(2)), .stream(completionFrames(2))])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        let responses = await ChainLog.run(4, of: request(), on: client)
        #expect(responses.map(\.0) == [0, 1, 2, 3])
        #expect(responses.allSatisfy { $0.1.failure == nil && $0.1.events.count >= 2 })
        // Each next request was written after the one before ended: they never overlap.
        for (a, b) in zip(responses, responses.dropFirst()) {
            let sent = try #require(b.1.sentNanoseconds)
            let ended = try #require(a.1.endNanoseconds)
            #expect(sent >= ended)
        }
        #expect(server.requests == 4)
        await client.shutdown()
        await server.stop()
    }

    /// A server that closes every connection after its response while saying keep-alive (llama.cpp's server) costs a
    /// failed write and a retry per request only until the client has seen it three times; then every request opens a
    /// connection of its own, and none is lost.
    @Test func aServerThatClosesEveryKeptAliveConnectionIsNoLongerReused() async throws {
        let server = try await ScriptedServer([.stream(completionFrames(2), closeAfter: true)])
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1)
        let responses = await ChainLog.run(12, of: request(), on: client)
        #expect(responses.map(\.0) == Array(0..<12))
        #expect(responses.allSatisfy { $0.1.failure == nil })
        #expect(responses.reduce(0) { $0 + $1.1.connectionRetries } == 3)
        #expect(server.requests == 12)
        await client.shutdown()
        await server.stop()
    }
}

/// What a test chain claimed and got back.
final class ChainLog: Sendable {
    let claimed = Mutex(0)
    let seen = Mutex<[(Int, RawResponse)]>([])

    /// Runs one chain of `count` copies of `request`, tagged 0, 1, ..., on `client`; every response with its tag, in the
    /// order they came.
    static func run(_ count: Int, of request: PreparedRequest, on client: StreamingHTTPClient) async -> [(Int, RawResponse)] {
        let log = ChainLog()
        let next: @Sendable () -> ChainedRequest? = {
            log.claimed.withLock { n in
                n += 1
                return n < count ? ChainedRequest(request: request, requestID: "c\(n)", tag: n) : nil
            }
        }
        await client.runChain(first: ChainedRequest(request: request, requestID: "c0", tag: 0),
                              hooks: ChainHooks(next: next, completed: { chained, response in log.seen.withLock { $0.append((chained.tag, response)) } }))
        return log.seen.withLock { $0 }
    }
}

@Suite struct ConnectGateTests {
    final class Occupancy: Sendable {
        let inside = Mutex(0)
        let most = Mutex(0)
    }

    @Test func atMostTheLimitAreInsideAndEveryWaiterGetsATurn() async {
        let gate = ConnectGate(limit: 3)
        let occupancy = Occupancy()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    await gate.enter()
                    let now = occupancy.inside.withLock { $0 += 1; return $0 }
                    occupancy.most.withLock { $0 = max($0, now) }
                    try? await Task.sleep(nanoseconds: 1_000_000)
                    occupancy.inside.withLock { $0 -= 1 }
                    gate.leave()
                }
            }
        }
        #expect(occupancy.most.withLock { $0 } <= 3)
        #expect(occupancy.inside.withLock { $0 } == 0)
    }

    @Test func aFourthWaitsUntilOneLeaves() async throws {
        let gate = ConnectGate(limit: 3)
        for _ in 0..<3 { await gate.enter() }
        let occupancy = Occupancy()
        let fourth = Task {
            await gate.enter()
            occupancy.inside.withLock { $0 = 1 }
        }
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(occupancy.inside.withLock { $0 } == 0)
        gate.leave()
        await fourth.value
        #expect(occupancy.inside.withLock { $0 } == 1)
    }
}
