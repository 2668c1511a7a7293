import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects

/// Where `bench` sends requests, and how it makes them.
struct EndpointOptions: ParsableArguments {
    @Option(help: "Endpoint base URL, http:// or https://, with or without its /v1, e.g. http://127.0.0.1:8000/v1 (default: the provider's, else the built-in target).")
    var url: String?
    @OptionGroup var model: ModelOption
    @Option(help: "API dialect: \(APIKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: the provider's, else completions).")
    var api: APIKind?
    @Option(help: "Provider or engine preset: \(ProviderPreset.all.map(\.name).joined(separator: ", ")); fills in the dialect, the URL of a hosted API, the key's variable and the quirks.")
    var provider: String?
    @Flag(inversion: .prefixedNo, help: "Stream responses with server-sent events.") var stream = true
    @Option(help: "Environment variable holding the API key (default TOKENMETER_API_KEY, then the provider's, then OPENAI_API_KEY or ANTHROPIC_API_KEY).")
    var apiKeyEnv: String?
    @Option(help: "File holding the API key.") var apiKeyFile: String?
    @Option(help: "PEM file of the CA that signed an https endpoint's certificate (default: the system's roots).") var caFile: String?
    @Option(help: "Extra header 'Name: value' (repeatable; its value is never written anywhere).") var header: [HeaderLine] = []
    @Option(help: "Extra JSON body fields merged into every request, e.g. '{\"top_k\": 1}'.") var extraBody: String?
    @Flag(inversion: .prefixedNo, help: "Send ignore_eos so max_tokens is delivered (default: on, off for hosted APIs).") var ignoreEos: Bool?
    @Flag(inversion: .prefixedNo, help: "Also send min_tokens = max_tokens.") var minTokens = false
    @Option(help: "Chat's output-length field: both, max_tokens or max_completion_tokens (default: the provider's, else both).")
    var maxTokensField: MaxTokensField?
    @Flag(inversion: .prefixedNo, help: "Send stream_options.include_usage with streamed chat and completions (default: the provider's, else on).")
    var streamOptions: Bool?
    @Option(help: "anthropic-version header of the anthropic dialect.") var anthropicVersion = "2023-06-01"
    @Option(help: "Anthropic prompt caching: mark the system prompt and the last message cache_control with this TTL (5m or 1h).")
    var cacheTtl: String?
    @Flag(help: "Responses sessions: store each answer and send the next turn with previous_response_id (default: resend the history).")
    var chainResponses = false
    @Option(help: "Request path replacing the dialect's route, e.g. /v1beta/openai/chat/completions.") var path: String?
    @Option(help: "Send a request answered 429, 529, 503 or 5xx again, up to this many times, after its retry-after or a backoff (default 0: count the refusal).")
    var retries = 0
    @Option(help: "Longest retry-after honoured; a longer one is not waited for, e.g. 60s.") var retryMaxWait = "60s"
    @Flag(inversion: .prefixedNo, help: "Ask for usage in every chunk (vLLM continuous_usage_stats; default: on for the built-in target only).")
    var continuousUsage: Bool?
    @Option(help: "Longest silence between bytes of a response, e.g. 300s.") var readTimeout = "300s"
    @Option(help: "Longest a whole request may take, e.g. 30m.") var requestTimeout = "30m"

    /// The provider preset, when one is named.
    func preset() throws(ConfigError) -> ProviderPreset? {
        guard let provider else { return nil }
        guard let preset = ProviderPreset.named(provider) else {
            throw ConfigError(field: "provider", message: "unknown provider '\(provider)'; known: \(ProviderPreset.all.map(\.name).joined(separator: ", "))")
        }
        return preset
    }

    /// The URL requests go to: `--url`, else the provider's; nil means the built-in target.
    var effectiveURL: String? { url ?? (try? preset())?.flatMap(\.url) }

    /// The dialect: `--api`, else the provider's, else completions.
    func dialect() throws(ConfigError) -> APIKind {
        if let api { return api }
        return try preset()?.api ?? .completions
    }

    /// The endpoint at `url` (this one's, the provider's, else the built-in target's), with the API key from `environment` or
    /// a file in the dialect's header.
    func resolve(url fallback: String?, environment: [String: String]) throws(ConfigError) -> EndpointPlan {
        let preset = try preset()
        guard let url = url ?? preset?.url ?? fallback else { throw ConfigError(field: "url", message: "no endpoint given; pass --url http://HOST:PORT/v1") }
        let address = try EndpointAddress(parsing: url)
        let api = try dialect()
        var headers = header.map { ($0.name, $0.value) }
        if let key = try apiKey(environment, preset: preset, api: api) { headers.append(RequestBuilder.authorization(key: key, api: api)) }
        if let cacheTtl, !["5m", "1h"].contains(cacheTtl) { throw ConfigError(field: "cache-ttl", message: "must be 5m or 1h") }
        if cacheTtl != nil, api != .anthropic { throw ConfigError(field: "cache-ttl", message: "only applies to --api anthropic") }
        if chainResponses, api != .responses { throw ConfigError(field: "chain-responses", message: "only applies to --api responses") }
        if let path, !path.hasPrefix("/") { throw ConfigError(field: "path", message: "'\(path)' must start with /") }
        guard retries >= 0 else { throw ConfigError(field: "retries", message: "must not be negative") }
        var plan = EndpointPlan(address: address, model: model.model, api: api, stream: stream && api.generates, headers: headers,
                                extraBody: try extraBodyJSON(), ignoreEOS: ignoreEos ?? preset?.engineHints ?? true, minTokens: minTokens,
                                continuousUsage: continuousUsage ?? (preset?.continuousUsage == true ? true : nil), timeouts: try timeouts(),
                                tls: try tls(address))
        plan.quirks = RequestOptions(api: api, model: "", streamOptions: streamOptions ?? preset?.streamOptions ?? true,
                                     maxTokensField: maxTokensField ?? preset?.maxTokensField ?? .both, anthropicVersion: anthropicVersion,
                                     cacheTTL: cacheTtl, chainResponses: chainResponses, path: path)
        if retries > 0 {
            let wait = try DurationText.milliseconds(retryMaxWait, field: "retry-max-wait") / 1000
            plan.retry = RetryPolicy(maxRetries: retries, maxWaitSeconds: wait)
        }
        return plan
    }

    /// The API key from `--api-key-file` or the named (or default) environment variable; never from a flag value.
    func apiKey(_ environment: [String: String], preset: ProviderPreset? = nil, api: APIKind = .chat) throws(ConfigError) -> String? {
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
        let conventional = api == .anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"
        let names = ["TOKENMETER_API_KEY", preset?.keyVariable, conventional].compactMap { $0 }
        return names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
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
