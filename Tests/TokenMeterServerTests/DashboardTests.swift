import Foundation
import Hummingbird
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterServer
import TokenMeterStore
import TokenMeterTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
import TokenMeterResults
import TokenMeterCost
#endif

/// A dashboard on 127.0.0.1 at a free port over a fresh store holding two measured runs; stopped when `body` returns.
func withDashboard(token: String? = nil, _ body: @Sendable (Int, [String]) async throws -> Void) async throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("tm-dash-\(UUID().uuidString)/runs.sqlite").path
    let store = try await SQLiteRunStore(path: path)
    var ids: [String] = []
    for (i, hardware) in ["h100", "h200"].enumerated() {
        let meta = RunMetadata(hardware: hardware, engine: "vllm", label: "on-\(hardware)")
        var result = emptyResult()
        try await store.createRun(meta, result: result)
        let (point, records) = try await measuredPoint(index: 0, concurrency: 2 + i * 2, requests: 8)
        result.points = [point]
        try await store.savePoint(runID: meta.id, point: point, records: records, result: result)
        try await store.finishRun(id: meta.id, status: .complete, result: result)
        ids.append(meta.id)
    }
    let port = PortBox()
    let app = Dashboard(store: store, access: try DashboardAccess(port: 0, token: token), pricer: try Pricer()).application { port.set($0) }
    let server = Task { try await app.run() }
    let deadline = Date().addingTimeInterval(20)
    while port.value == 0, Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
    do {
        try await body(port.value, ids)
    } catch {
        server.cancel()
        _ = await server.result
        await store.close()
        throw error
    }
    server.cancel()
    _ = await server.result
    await store.close()
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port = 0
    var value: Int { lock.withLock { port } }
    func set(_ p: Int) { lock.withLock { port = p } }
}

struct HTTPReply {
    var status: Int
    var body: String
    var headers: [String: String]
}

/// One real HTTP request over loopback.
func fetch(_ port: Int, _ path: String, method: String = "GET", headers: [String: String] = [:], body: Data? = nil) async throws -> HTTPReply {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.httpMethod = method
    request.httpBody = body
    for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    var fields: [String: String] = [:]
    for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
    return HTTPReply(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: fields)
}

/// Sends raw bytes over a loopback TCP connection and returns what comes back until the server closes or 2 s pass (for
/// requests URLSession will not send).
func rawHTTP(_ port: Int, _ request: String) async throws -> String {
    await onOwnThread {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return "connect failed" }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server may answer and close before reading everything
            sent += n
        }
        var reply = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            reply += buffer[0..<n]
            if reply.count > 1 << 16 { break }
        }
        return String(decoding: reply, as: UTF8.self)
    }
}

@Suite struct DashboardTests {
    @Test func pagesAndTheAPIServeTheStore() async throws {
        try await withDashboard { port, ids in
            let index = try await fetch(port, "/")
            #expect(index.status == 200)
            #expect(ids.allSatisfy { index.body.contains($0) } && index.body.contains("Compare selected"))
            #expect(index.headers["content-security-policy"]?.contains("default-src 'none'") == true)
            let run = try await fetch(port, "/runs/\(ids[0])")
            #expect(run.status == 200 && run.body.contains("id=\"chart-throughput\"") && run.body.contains("h100-hyperscaler, $"))
            let compare = try await fetch(port, "/compare?ids=\(ids[0])&ids=\(ids[1])")
            #expect(compare.status == 200 && compare.body.contains("Comparing 2 runs") && compare.body.contains("on-h200 ("))
            let list = try await fetch(port, "/api/runs")
            let runs = try JSONSerialization.jsonObject(with: Data(list.body.utf8)) as? [[String: Any]] ?? []
            #expect(Set(runs.compactMap { $0["id"] as? String }) == Set(ids))
            let json = try await fetch(port, "/api/runs/\(ids[1])")
            #expect(try JSONDecoder().decode(RunResult.self, from: Data(json.body.utf8)).points.count == 1)
            let csv = try await fetch(port, "/api/runs/\(ids[1])?format=csv")
            #expect(csv.status == 200 && csv.body.hasPrefix("point,concurrency") && csv.headers["content-type"]?.hasPrefix("text/csv") == true)
            #expect(csv.headers["content-disposition"]?.contains("\(ids[1]).csv") == true)
            let openapi = try await fetch(port, "/openapi.json")
            let doc = try JSONSerialization.jsonObject(with: Data(openapi.body.utf8)) as? [String: Any]
            #expect(doc?["openapi"] as? String == "3.1.0")
            #expect((doc?["paths"] as? [String: Any])?.keys.sorted() == ["/api/runs", "/api/runs/{id}"])
        }
    }

    /// No path traversal, no writes, no big bodies, unknown ids are 404 and bad ones 400.
    @Test func refusesWhatItDoesNotServe() async throws {
        try await withDashboard { port, _ in
            #expect(try await fetch(port, "/api/runs/r-nope").status == 404)
            #expect(try await fetch(port, "/api/runs/..%2F..%2Fetc%2Fpasswd").status == 400)
            #expect(try await fetch(port, "/runs/%3Cscript%3E").status == 400)
            #expect(try await fetch(port, "/../../etc/passwd").status == 404)
            #expect(try await fetch(port, "/api/runs/x?format=xml").status == 400)
            #expect(try await fetch(port, "/compare").status == 400)
            #expect(try await fetch(port, "/api/runs", method: "DELETE").status == 405)
            // Bodies over 64 KB: refused from the declared length, and from what arrives when no length is declared.
            let declared = try await rawHTTP(port, "GET /api/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + String(repeating: "A", count: 200_000))
            #expect(declared.hasPrefix("HTTP/1.1 413"), "\(declared.prefix(80))")
            let chunked = try await rawHTTP(port, "GET /api/runs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(repeating: "8000\r\n" + String(repeating: "B", count: 0x8000) + "\r\n", count: 4) + "0\r\n\r\n")
            #expect(chunked.hasPrefix("HTTP/1.1 413"), "\(chunked.prefix(80))")
        }
    }

    @Test func aTokenIsRequiredWhenSetAndForAnyNonLoopbackAddress() async throws {
        #expect(throws: ConfigError.self) { try DashboardAccess(host: "0.0.0.0", port: 8080) }
        #expect(throws: ConfigError.self) { try DashboardAccess(host: "192.168.1.5", port: 8080) }
        #expect(throws: ConfigError.self) { try DashboardAccess(host: "0.0.0.0", token: "short") }
        #expect(throws: ConfigError.self) { try DashboardAccess(port: 70000) }
        #expect(try DashboardAccess(host: "0.0.0.0", token: String(repeating: "k", count: 32)).token != nil)
        let token = "s3cret-" + UUID().uuidString
        try await withDashboard(token: token) { port, ids in
            let anonymous = try await fetch(port, "/api/runs")
            #expect(anonymous.status == 401 && anonymous.headers["www-authenticate"] == "Bearer")
            #expect(!anonymous.body.contains(token))
            #expect(try await fetch(port, "/", headers: ["Authorization": "Bearer wrong"]).status == 401)
            #expect(try await fetch(port, "/", headers: ["Authorization": token]).status == 401)
            let ok = try await fetch(port, "/api/runs/\(ids[0])?format=csv", headers: ["Authorization": "Bearer \(token)"])
            #expect(ok.status == 200)
        }
    }

    /// The pages as a real browser renders them; screenshots are kept as test artifacts.
    @Test func dashboardPagesRenderInARealBrowser() async throws {
        try await withDashboard { port, ids in
            let index = try await HeadlessBrowser.dom("http://127.0.0.1:\(port)/")
            #expect(index.contains("id=\"runs\"") && ids.allSatisfy { index.contains($0) })
            let compare = try await HeadlessBrowser.dom("http://127.0.0.1:\(port)/compare?ids=\(ids[0])&ids=\(ids[1])")
            for chart in ["chart-throughput", "chart-cost", "chart-ttft", "chart-tpot", "chart-over-time", "chart-iceberg"] {
                #expect(compare.contains("id=\"\(chart)\""), "\(chart)")
            }
            _ = try await HeadlessBrowser.screenshot("http://127.0.0.1:\(port)/", name: "dashboard-index.png", height: 900)
            let shot = try await HeadlessBrowser.screenshot("http://127.0.0.1:\(port)/compare?ids=\(ids[0])&ids=\(ids[1])", name: "dashboard-compare.png")
            #expect(((try FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0) > 20_000)
        }
    }
}
