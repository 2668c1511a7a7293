import NIOHTTP1
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterTokenizer

/// Counts tokens with the server's own `/tokenize` endpoint (vLLM, SGLang, llama.cpp and the reference target).
public struct ServerTokenCounter: TokenCounter {
    let client: StreamingHTTPClient
    let address: EndpointAddress
    let model: String

    /// Creates a counter.
    public init(client: StreamingHTTPClient, address: EndpointAddress, model: String) {
        self.client = client
        self.address = address
        self.model = model
    }

    public func count(_ text: String) async throws -> Int {
        // vLLM reads `prompt`, llama.cpp reads `content`; both ignore the other.
        let body = JSONValue.object([("model", .string(model)), ("prompt", .string(text)), ("content", .string(text)),
                                     ("add_special_tokens", .bool(false))]).serialized
        let request = PreparedRequest(uri: address.rootPath("tokenize"), headers: [("Host", address.host), ("Content-Type", "application/json")],
                                      body: Array(body.utf8), expectsEventStream: false)
        let response = await client.execute(request)
        if let failure = response.failure { throw failure }
        guard response.status == 200, let json = try? JSONValue.parse(response.body) else {
            throw RequestFailure(kind: .httpStatus, message: "/tokenize answered HTTP \(response.status ?? 0)", httpStatus: response.status)
        }
        if let n = json["count"]?.intValue { return n }
        if case let .array(tokens)? = json["tokens"] { return tokens.count }
        throw RequestFailure(kind: .malformed, message: "/tokenize gave neither count nor tokens")
    }
}

/// Asks an endpoint which models it serves.
public enum ModelDiscovery {
    /// The ids listed at `/v1/models`; throws a failure when the server cannot be reached or answers badly.
    public static func models(client: StreamingHTTPClient, address: EndpointAddress, headers: [(String, String)]) async throws -> [String] {
        let request = PreparedRequest(method: .GET, uri: address.path("models"), headers: [("Host", address.host)] + headers, body: [],
                                      expectsEventStream: false)
        let response = await client.execute(request)
        if let failure = response.failure { throw failure }
        guard let status = response.status, (200..<300).contains(status) else {
            throw RequestFailure(kind: .httpStatus, message: "/v1/models answered HTTP \(response.status ?? 0)", httpStatus: response.status)
        }
        guard let json = try? JSONValue.parse(response.body), case let .array(items)? = json["data"] else {
            throw RequestFailure(kind: .malformed, message: "/v1/models did not return {data: [...]}")
        }
        return items.compactMap { $0["id"]?.stringValue }
    }
}
