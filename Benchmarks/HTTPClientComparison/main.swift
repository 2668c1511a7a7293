// The same closed loop over two HTTP clients, to show what an HTTP library costs on tokenmeter's hot path:
// tokenmeter's own client (SwiftNIO channel handlers that timestamp each read on the event loop) and AsyncHTTPClient (the
// server-side Swift HTTP library, whose streamed body is an async sequence read by the request's task).
//
// Both send the same requests (X-Request-Id p0-<id>, so the target's ground truth matches them), frame SSE with the same
// framer, decode with the same interpreter, and write tokenmeter's timeline format, so scripts/lib/groundtruth.py scores
// both alike. Built only by scripts/bench-http-client (TOKENMETER_CLIENT_COMPARISON=1), never in CI.
//
// usage: http-client-comparison nio|ahc PORT CONCURRENCY REQUESTS OUTPUT_DIR
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TokenMeterBench
import TokenMeterCore

/// Sends one streamed request and returns what came back, timestamped.
protocol Transport: Sendable {
    func send(_ request: PreparedRequest, requestID: String) async -> RawResponse
    func shutdown() async
}

/// tokenmeter's client, one request per call (no chaining), as the AsyncHTTPClient side is driven.
struct NIOTransport: Transport {
    let client: StreamingHTTPClient

    func send(_ request: PreparedRequest, requestID: String) async -> RawResponse {
        await client.execute(request, requestID: requestID)
    }

    func shutdown() async { await client.shutdown() }
}

/// AsyncHTTPClient with a pool as large as the concurrency; each body part is timestamped when the task receives it.
struct AHCTransport: Transport {
    let client: HTTPClient
    let base: String

    init(port: Int, concurrency: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(300))
        client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)),
                            configuration: configuration)
        base = "http://127.0.0.1:\(port)"
    }

    func send(_ prepared: PreparedRequest, requestID: String) async -> RawResponse {
        var raw = RawResponse()
        var request = HTTPClientRequest(url: base + prepared.uri)
        request.method = prepared.method
        for (name, value) in prepared.headers { request.headers.add(name: name, value: value) }
        request.headers.replaceOrAdd(name: "X-Request-Id", value: requestID)
        request.body = .bytes(ByteBuffer(bytes: prepared.body))
        raw.sentNanoseconds = MonotonicClock.nowNanoseconds()
        do {
            let response = try await client.execute(request, timeout: .seconds(300))
            raw.headNanoseconds = MonotonicClock.nowNanoseconds()
            raw.status = Int(response.status.code)
            raw.contentType = response.headers.first(name: "content-type")
            var framer = SSEFramer()
            var scratch: [SSEEvent] = []
            var readIndex = 0
            var last = raw.headNanoseconds!
            for try await buffer in response.body {
                last = MonotonicClock.nowNanoseconds()
                raw.bytesReceived += buffer.readableBytes
                buffer.withUnsafeReadableBytes { framer.feed($0, into: &scratch) }
                for event in scratch { raw.events.append(RawEvent(timeNanoseconds: last, readIndex: readIndex, data: event.data)) }
                scratch.removeAll(keepingCapacity: true)
                readIndex += 1
            }
            if let event = framer.finish() { raw.events.append(RawEvent(timeNanoseconds: last, readIndex: readIndex, data: event.data)) }
            raw.endNanoseconds = MonotonicClock.nowNanoseconds()
        } catch {
            raw.failure = RequestFailure(kind: .reset, message: String(describing: error))
            raw.endNanoseconds = MonotonicClock.nowNanoseconds()
        }
        return raw
    }

    func shutdown() async { try? await client.shutdown() }
}

/// Hands out request ids to the closed loop's slots.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func next() -> Int? {
        let id = value.add(1, ordering: .relaxed).oldValue
        return id < limit ? id : nil
    }
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

let arguments = CommandLine.arguments
guard arguments.count == 6, ["nio", "ahc"].contains(arguments[1]), let port = Int(arguments[2]), let concurrency = Int(arguments[3]),
      let total = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: http-client-comparison nio|ahc PORT CONCURRENCY REQUESTS OUTPUT_DIR\n".utf8))
    exit(2)
}
let outputDirectory = URL(fileURLWithPath: arguments[5])
let address = EndpointAddress(host: "127.0.0.1", port: port)
let options = RequestOptions(api: .completions, model: "m")
let plan = try await WorkloadGenerator(source: .synthetic, inputLength: .fixed(16), outputLength: .fixed(32), seed: 7).plan(count: total)
let prepared = plan.map { RequestBuilder.request(prompt: $0.prompt, maxTokens: $0.maxTokens, options: options, address: address) }
let transport: any Transport = arguments[1] == "nio"
    ? NIOTransport(client: StreamingHTTPClient(host: "127.0.0.1", port: port)) : AHCTransport(port: port, concurrency: concurrency)

let counter = Counter(limit: total)
let cpuStart = cpuSeconds()
let wallStart = MonotonicClock.nowNanoseconds()
let records = await withTaskGroup(of: [RequestRecord].self, returning: [RequestRecord].self) { group in
    for _ in 0..<concurrency {
        group.addTask {
            var out: [RequestRecord] = []
            while let id = counter.next() {
                let scheduled = MonotonicClock.nowNanoseconds()
                let raw = await transport.send(prepared[id], requestID: "p0-\(id)")
                var record = RequestRecord(id: id, phase: .measured, scheduledNanoseconds: scheduled,
                                           promptTokensPlanned: plan[id].promptTokens, promptTokensExact: plan[id].exact,
                                           maxTokens: plan[id].maxTokens)
                ResponseInterpreter.apply(raw, streamed: true, to: &record)
                out.append(record)
            }
            return out
        }
    }
    var all: [RequestRecord] = []
    for await slot in group { all += slot }
    return all.sorted { $0.id < $1.id }
}
let wall = Double(MonotonicClock.nowNanoseconds() - wallStart) / 1e9
let cpu = cpuSeconds() - cpuStart
await transport.shutdown()

try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
let encoder = JSONEncoder()
var lines = Data()
for record in records {
    lines.append(Data(#"{"type":"request","point":0,"record":"#.utf8))
    lines.append(try encoder.encode(record))
    lines.append(Data("}\n".utf8))
}
try lines.write(to: outputDirectory.appendingPathComponent("timeline.jsonl"))
let ok = records.filter(\.succeeded)
let summary: [String: Any] = ["client": arguments[1], "concurrency": concurrency, "requests": total, "succeeded": ok.count,
                              "output_tokens": ok.reduce(0) { $0 + $1.outputTokens }, "cpu_seconds": cpu, "wall_seconds": wall]
try JSONSerialization.data(withJSONObject: summary).write(to: outputDirectory.appendingPathComponent("summary.json"))
