import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterOpenAI

/// Where `bench` sends requests, and how it makes them.
struct EndpointOptions: ParsableArguments {
    @Option(help: "Endpoint base URL, http:// or https://, e.g. http://127.0.0.1:8000/v1 (default: the built-in target).") var url: String?
    @OptionGroup var model: ModelOption
    @Option(help: "API: completions or chat.") var api = APIKind.completions
    @Flag(inversion: .prefixedNo, help: "Stream responses with server-sent events.") var stream = true
    @Option(help: "Environment variable holding the API key (default TOKENMETER_API_KEY, then OPENAI_API_KEY).") var apiKeyEnv: String?
    @Option(help: "File holding the API key.") var apiKeyFile: String?
    @Option(help: "PEM file of the CA that signed an https endpoint's certificate (default: the system's roots).") var caFile: String?
    @Option(help: "Extra header 'Name: value' (repeatable; its value is never written anywhere).") var header: [HeaderLine] = []
    @Option(help: "Extra JSON body fields merged into every request, e.g. '{\"top_k\": 1}'.") var extraBody: String?
    @Flag(inversion: .prefixedNo, help: "Send ignore_eos so max_tokens is delivered.") var ignoreEos = true
    @Flag(inversion: .prefixedNo, help: "Also send min_tokens = max_tokens.") var minTokens = false
    @Flag(inversion: .prefixedNo, help: "Ask for usage in every chunk (vLLM continuous_usage_stats; default: on for the built-in target only).")
    var continuousUsage: Bool?
    @Option(help: "Longest silence between bytes of a response, e.g. 300s.") var readTimeout = "300s"
    @Option(help: "Longest a whole request may take, e.g. 30m.") var requestTimeout = "30m"

    /// The endpoint at `url` (this one's, else the built-in target's), with the API key from `environment` or a file.
    func resolve(url fallback: String?, environment: [String: String]) throws(ConfigError) -> EndpointPlan {
        guard let url = url ?? fallback else { throw ConfigError(field: "url", message: "no endpoint given; pass --url http://HOST:PORT/v1") }
        let address = try EndpointAddress(parsing: url)
        var headers = header.map { ($0.name, $0.value) }
        if let key = try apiKey(environment) { headers.append(("Authorization", "Bearer \(key)")) }
        return EndpointPlan(address: address, model: model.model, api: api, stream: stream, headers: headers, extraBody: try extraBodyJSON(),
                            ignoreEOS: ignoreEos, minTokens: minTokens, continuousUsage: continuousUsage, timeouts: try timeouts(),
                            tls: try tls(address))
    }

    /// The API key from `--api-key-file` or the named (or default) environment variable; never from a flag value.
    func apiKey(_ environment: [String: String]) throws(ConfigError) -> String? {
        if let file = apiKeyFile {
            let key = String(decoding: try readable(file, field: "api-key-file"), as: UTF8.self).trimmingWhitespace
            guard !key.isEmpty else { throw ConfigError(field: "api-key-file", message: "'\(file)' is empty") }
            return key
        }
        if let name = apiKeyEnv {
            guard let key = environment[name], !key.isEmpty else {
                throw ConfigError(field: "api-key-env", message: "environment variable \(name) is not set or empty")
            }
            return key
        }
        return ["TOKENMETER_API_KEY", "OPENAI_API_KEY"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
    }

    func extraBodyJSON() throws(ConfigError) -> JSONValue? {
        guard let extraBody else { return nil }
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(extraBody) } catch {
            throw ConfigError(field: "extra-body", message: "not JSON (\(error)); write e.g. '{\"top_k\": 1}'")
        }
        guard case .object = parsed else { throw ConfigError(field: "extra-body", message: "must be a JSON object") }
        return parsed
    }

    func timeouts() throws(ConfigError) -> ClientTimeouts {
        let read = try DurationText.milliseconds(readTimeout, field: "read-timeout") / 1000
        let total = try DurationText.milliseconds(requestTimeout, field: "request-timeout") / 1000
        guard read > 0, total > 0 else { throw ConfigError(field: "read-timeout", message: "timeouts must be longer than zero") }
        return ClientTimeouts(readSeconds: read, totalSeconds: total)
    }

    func tls(_ address: EndpointAddress) throws(ConfigError) -> TLSContext? {
        if let caFile {
            guard address.secure else { throw ConfigError(field: "ca-file", message: "only applies to https:// endpoints") }
            _ = try readable(caFile, field: "ca-file")
        }
        return address.secure ? try StreamingHTTPClient.tlsContext(caFile: caFile) : nil
    }
}

/// The contents of a file the user named, or an error naming the flag.
func readable(_ path: String, field: String) throws(ConfigError) -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ConfigError(field: field, message: "cannot read '\(path)'; check the path and permissions")
    }
    return data
}
