import Foundation
import NIOSSL
import Testing
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects
import TokenMeterTestSupport

/// A self-signed certificate for 127.0.0.1, made with the openssl command line for this test run.
func selfSignedCertificate() async throws -> (certificate: String, key: String, directory: URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let cert = dir.appendingPathComponent("cert.pem").path
    let key = dir.appendingPathComponent("key.pem").path
    let openssl = try ChildProcess.spawn(["/usr/bin/env", "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                                          "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
    guard try await openssl.wait(timeout: 60) == 0 else {
        openssl.kill()
        throw ConfigError(field: "openssl", message: "openssl req failed or did not finish in 60 s")
    }
    return (cert, key, dir)
}

@Suite struct TLSTests {
    func server(_ cert: String, _ key: String) async throws -> ScriptedServer {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        return try await ScriptedServer([.stream(completionFrames(3))], tls: try NIOSSLContext(configuration: configuration))
    }

    func record(_ raw: RawResponse) -> RequestRecord {
        var record = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 3, promptTokensExact: true, maxTokens: 3)
        ResponseInterpreter.apply(raw, streamed: true, to: &record)
        return record
    }

    func request(_ port: Int) -> PreparedRequest {
        RequestBuilder.request(prompt: .text("a b c"), maxTokens: 3, options: RequestOptions(api: .completions, model: "m"),
                               address: EndpointAddress(host: "127.0.0.1", port: port, secure: true))
    }

    @Test func httpsWithTheServersCAStreamsAndTimestampsLikeHTTP() async throws {
        let (cert, key, dir) = try await selfSignedCertificate()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await server(cert, key)
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1, tls: try StreamingHTTPClient.tlsContext(caFile: cert))
        for _ in 0..<3 {
            let r = record(await client.execute(request(server.port)))
            #expect(r.succeeded, "\(String(describing: r.failure))")
            #expect(r.tokenEvents.count == 3 && r.outputTokens == 3)
        }
        #expect(server.connections == 1)  // kept alive across requests
        await client.shutdown()
        await server.stop()
    }

    @Test func untrustedCertificateIsAConnectFailureThatSaysWhatToDo() async throws {
        let (cert, key, dir) = try await selfSignedCertificate()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await server(cert, key)
        let client = StreamingHTTPClient(host: "127.0.0.1", port: server.port, threads: 1, tls: try StreamingHTTPClient.tlsContext(caFile: nil))
        let raw = await client.execute(request(server.port))
        #expect(raw.failure?.kind == .connect)
        #expect(raw.failure?.message.contains("--ca-file") == true, "\(String(describing: raw.failure))")
        await client.shutdown()
        await server.stop()
    }

    @Test func aBadCAFileIsAConfigError() throws {
        let error = try #require(throws: ConfigError.self) { try StreamingHTTPClient.tlsContext(caFile: "/etc/hostname") }
        #expect(error.field == "ca-file")
    }
}
