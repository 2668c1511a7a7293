import TokenMeterCore

/// A parsed `http(s)://host:port/base` endpoint address.
public struct EndpointAddress: Sendable, Equatable, CustomStringConvertible {
    /// True for `https`: the connection is TLS, verified against the system's or a given CA.
    public var secure: Bool
    /// Host name or address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// Path prefix such as `/v1`, without a trailing slash.
    public var basePath: String

    /// Parses a base URL (`http` or `https`); any user-info is refused so secrets stay out of URLs.
    public init(parsing text: String) throws(ConfigError) {
        var rest = text.trimmingWhitespace
        if rest.lowercased().hasPrefix("https://") {
            secure = true
            rest = String(rest.dropFirst(8))
        } else if rest.lowercased().hasPrefix("http://") {
            secure = false
            rest = String(rest.dropFirst(7))
        } else {
            throw ConfigError(field: "url", message: "'\(text)' must start with http:// or https://, e.g. http://127.0.0.1:8000/v1")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        var path = String(rest[slash...])
        if authority.contains("@") {
            throw ConfigError(field: "url", message: "credentials in the URL are refused; pass the key through --api-key-env or --api-key-file")
        }
        var hostPart = authority
        var port = secure ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw ConfigError(field: "url", message: "unterminated IPv6 address in '\(text)'") }
            hostPart = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw ConfigError(field: "url", message: "bad port in '\(text)'") }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw ConfigError(field: "url", message: "bad port in '\(text)'")
            }
            port = p
        }
        guard !hostPart.isEmpty else { throw ConfigError(field: "url", message: "no host in '\(text)'") }
        while path.hasSuffix("/") { path.removeLast() }
        if let q = path.firstIndex(of: "?") { path = String(path[..<q]) }
        host = hostPart
        self.port = port
        basePath = path
    }

    /// Creates an address from parts.
    public init(host: String, port: Int, basePath: String = "/v1", secure: Bool = false) {
        self.secure = secure
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// The URL as text (it never holds credentials).
    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(secure ? "https" : "http")://\(h):\(port)\(basePath)"
    }

    /// The path of an API route under the base (`completions` → `/v1/completions`). A base without a path gets `/v1`, so
    /// `http://host:8000` and `http://host:8000/v1` reach the same route; so does any base not ending in a version segment
    /// when `versionedBelow` (Anthropic's SDK appends `/v1/messages` to its base, e.g. `https://api.deepseek.com/anthropic`),
    /// while OpenAI's SDK appends the route to the base as given.
    public func path(_ route: String, versionedBelow: Bool = false) -> String {
        if basePath.isEmpty || (versionedBelow && !Self.endsInVersion(basePath)) { return basePath + "/v1/" + route }
        return basePath + "/" + route
    }

    /// True for a path whose last segment is an API version: `v1`, `v2`, `v1beta`.
    static func endsInVersion(_ path: String) -> Bool {
        guard let last = path.split(separator: "/").last, last.first == "v", last.count >= 2 else { return false }
        return last.dropFirst().first?.isNumber ?? false
    }

    /// The server-root path of a route outside the API base (`/tokenize`, `/metrics`).
    public func rootPath(_ route: String) -> String { "/" + route }
}
