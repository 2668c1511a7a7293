import Testing
import TokenMeterCore
import TokenMeterHTTP

@Suite struct EndpointAddressTests {
    @Test func parsesURLs() throws {
        #expect(try EndpointAddress(parsing: "http://127.0.0.1:8000/v1/") == EndpointAddress(host: "127.0.0.1", port: 8000, basePath: "/v1"))
        #expect(try EndpointAddress(parsing: "http://localhost/v1") == EndpointAddress(host: "localhost", port: 80, basePath: "/v1"))
        #expect(try EndpointAddress(parsing: "http://[::1]:9000") == EndpointAddress(host: "::1", port: 9000, basePath: ""))
        #expect(try EndpointAddress(parsing: "http://[::1]:9000/v1").description == "http://[::1]:9000/v1")
        let secure = try EndpointAddress(parsing: "HTTPS://inference.example.com/v1")
        #expect(secure.secure && secure.port == 443 && secure.description == "https://inference.example.com:443/v1")
    }

    @Test(arguments: ["ftp://x", "127.0.0.1:8000", "http://user:secret@127.0.0.1/v1", "https://key:secret@127.0.0.1/v1", "http://:80", "http://h:99999"])
    func refusesBadURLs(_ text: String) throws {
        let error = try #require(throws: ConfigError.self) { try EndpointAddress(parsing: text) }
        #expect(error.field == "url")
        #expect(!error.message.contains("secret"))
    }
}
