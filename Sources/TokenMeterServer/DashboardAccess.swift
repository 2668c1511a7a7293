import Foundation
import TokenMeterCore

/// Where the dashboard listens and who may use it: loopback by default; any other address only with a bearer token.
public struct DashboardAccess: Sendable, Equatable {
    /// Address to bind.
    public var host: String
    /// Port (0: any free one).
    public var port: Int
    /// Bearer token every request must carry, when set.
    public var token: String?

    /// Checks the combination: a non-loopback address without a token is refused, in words.
    public init(host: String = "127.0.0.1", port: Int = 8080, token: String? = nil) throws(ConfigError) {
        guard (0...65535).contains(port) else { throw ConfigError(field: "port", message: "port \(port) is not between 0 and 65535") }
        if let token, token.count < 16 {
            throw ConfigError(field: "token", message: "the dashboard token is shorter than 16 characters; use a long random one (openssl rand -hex 32)")
        }
        guard Self.isLoopback(host) || token != nil else {
            throw ConfigError(field: "host", message: "binding \(host) exposes the dashboard beyond this machine; set a bearer token with "
                              + "TOKENMETER_DASHBOARD_TOKEN or --token-file, or keep the default 127.0.0.1")
        }
        self.host = host
        self.port = port
        self.token = token
    }

    /// 127.0.0.0/8, ::1 and localhost.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Whether a request's Authorization header carries the token (compared in constant time).
    public func authorizes(_ header: String?) -> Bool {
        guard let token else { return true }
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst(7).utf8), expected = Array(token.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<min(given.count, expected.count) { difference |= given[i] ^ expected[i] }
        return difference == 0
    }
}
