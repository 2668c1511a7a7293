import Foundation
import TokenMeterCore
import TokenMeterOpenAI
import TokenMeterResults
import Yams

/// Every setting of `tokenmeter bench`; each flag has the same name as a YAML key.
public struct BenchConfig: Codable, Sendable, Equatable {
    /// Base URL of the endpoint (`http://host:port/v1`); nil starts the built-in reference target.
    public var url: String?
    /// Model name; nil asks the server's `/v1/models`.
    public var model: String?
    /// `completions` or `chat`.
    public var api: APIKind = .completions
    /// Stream responses (SSE).
    public var stream: Bool = true
    /// Closed-loop concurrencies to sweep.
    public var concurrency: [Int]?
    /// Open-loop request rates (per second) to sweep.
    public var rate: [Double]?
    /// Arrival process of open-loop points.
    public var arrival: ArrivalProcess = .poisson
    /// Gamma shape for `arrival: gamma` (1 = Poisson).
    public var burstiness: Double = 1
    /// Cap on requests in flight for open-loop points.
    public var maxConcurrency: Int?
    /// Input-length distribution.
    public var isl: String = "256"
    /// Output-length distribution.
    public var osl: String = "128"
    /// Measured requests per point (default: 8 × concurrency, at least 16; or 10 s of arrivals).
    public var requests: Int?
    /// Measurement duration per point instead of a count (`60s`, `2m`).
    public var duration: String?
    /// Warm-up per point: a request count (`8`) or a time (`10s`); default one round of the concurrency.
    public var warmup: String?
    /// What happens to requests in flight at the end of a point.
    public var drain: DrainRule = .wait
    /// Longest wait for in-flight requests after a point's bound.
    public var drainTimeout: String = "60s"
    /// Hard limit on one point, warm-up and drain included.
    public var maxPointDuration: String = "10m"
    /// Closed loop: the first requests of the slots are spread evenly over this long (`2s`); none means all at once.
    public var rampUp: String?
    /// GPUs behind the endpoint, for per-GPU figures.
    public var gpus: Int = 1
    /// Service-level objective for goodput (`ttft_p99=2s,tpot_p99=80ms` or an MLPerf preset name).
    public var slo: String?
    /// Seed of every random choice.
    public var seed: Int = 42
    /// JSONL dataset of prompts instead of synthetic ones.
    public var dataset: String?
    /// Shared-prefix workload: number of distinct prefixes.
    public var prefixCount: Int?
    /// Shared-prefix workload: tokens per prefix.
    public var prefixTokens: Int = 512
    /// Shared-prefix workload: distinct suffixes per prefix.
    public var suffixesPerPrefix: Int = 8
    /// Environment variable holding the API key.
    public var apiKeyEnv: String?
    /// File holding the API key.
    public var apiKeyFile: String?
    /// PEM file of the CA that signed an https endpoint's certificate (default: the system's roots).
    public var caFile: String?
    /// Extra request headers, `Name: value`.
    public var header: [String] = []
    /// Extra JSON body fields merged into every request (an object).
    public var extraBody: String?
    /// Send `ignore_eos: true`.
    public var ignoreEOS: Bool = true
    /// Send `min_tokens` equal to `max_tokens`.
    public var minTokens: Bool = false
    /// Ask for usage in every chunk (vLLM `continuous_usage_stats`); default on for the reference target only.
    public var continuousUsage: Bool?
    /// Exact prompt lengths: `auto` (server `/tokenize` if it has one), `server`, or `off`.
    public var tokenize: String = "auto"
    /// A Hugging Face tokenizer.json (or its folder): exact prompt lengths and a local count of every output text.
    public var tokenizer: String?
    /// Longest silence between bytes of a response.
    public var readTimeout: String = "300s"
    /// Longest a whole request may take.
    public var requestTimeout: String = "30m"
    /// Scrape the server's Prometheus `/metrics` during each point: `auto` (when it answers) or `off`.
    public var scrapeMetrics: String = "auto"
    /// Interval between scrapes.
    public var scrapeInterval: String = "1s"
    /// GPU power during the run: `off`, `nvidia-smi` or `amd-smi` (sidecar on this host), or `dcgm` (exporter at `power-url`).
    public var power: String = "off"
    /// DCGM exporter metrics URL.
    public var powerURL: String = "http://127.0.0.1:9400/metrics"
    /// A command printing `timestamp, index, watts` CSV lines, instead of the default nvidia-smi call.
    public var powerCommand: String?
    /// Interval between power readings.
    public var powerInterval: String = "500ms"
    /// Folder for result.json and timeline.jsonl (default `tokenmeter-results/<time>`).
    public var output: String?
    /// Free-text label stored with the run.
    public var label: String?

    /// A config with every default.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, model, api, stream, concurrency, rate, arrival, burstiness, maxConcurrency = "max-concurrency"
        case isl, osl, requests, duration, warmup, drain, drainTimeout = "drain-timeout", maxPointDuration = "max-point-duration"
        case rampUp = "ramp-up"
        case gpus, slo, seed, dataset, prefixCount = "prefix-count", prefixTokens = "prefix-tokens"
        case suffixesPerPrefix = "suffixes-per-prefix", apiKeyEnv = "api-key-env", apiKeyFile = "api-key-file", caFile = "ca-file"
        case header, extraBody = "extra-body", ignoreEOS = "ignore-eos", minTokens = "min-tokens"
        case continuousUsage = "continuous-usage", tokenize, tokenizer, readTimeout = "read-timeout", requestTimeout = "request-timeout"
        case scrapeMetrics = "scrape-metrics", scrapeInterval = "scrape-interval", power, powerURL = "power-url"
        case powerCommand = "power-command", powerInterval = "power-interval", output, label
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BenchConfig()
        url = try c.decodeIfPresent(String.self, forKey: .url)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        api = try c.decodeIfPresent(APIKind.self, forKey: .api) ?? d.api
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream) ?? d.stream
        concurrency = try Self.list(c, .concurrency)
        rate = try Self.list(c, .rate)
        arrival = try c.decodeIfPresent(ArrivalProcess.self, forKey: .arrival) ?? d.arrival
        burstiness = try c.decodeIfPresent(Double.self, forKey: .burstiness) ?? d.burstiness
        maxConcurrency = try c.decodeIfPresent(Int.self, forKey: .maxConcurrency)
        isl = try Self.text(c, .isl) ?? d.isl
        osl = try Self.text(c, .osl) ?? d.osl
        requests = try c.decodeIfPresent(Int.self, forKey: .requests)
        duration = try Self.text(c, .duration)
        warmup = try Self.text(c, .warmup)
        drain = try c.decodeIfPresent(DrainRule.self, forKey: .drain) ?? d.drain
        drainTimeout = try Self.text(c, .drainTimeout) ?? d.drainTimeout
        maxPointDuration = try Self.text(c, .maxPointDuration) ?? d.maxPointDuration
        rampUp = try Self.text(c, .rampUp)
        gpus = try c.decodeIfPresent(Int.self, forKey: .gpus) ?? d.gpus
        slo = try c.decodeIfPresent(String.self, forKey: .slo)
        seed = try c.decodeIfPresent(Int.self, forKey: .seed) ?? d.seed
        dataset = try c.decodeIfPresent(String.self, forKey: .dataset)
        prefixCount = try c.decodeIfPresent(Int.self, forKey: .prefixCount)
        prefixTokens = try c.decodeIfPresent(Int.self, forKey: .prefixTokens) ?? d.prefixTokens
        suffixesPerPrefix = try c.decodeIfPresent(Int.self, forKey: .suffixesPerPrefix) ?? d.suffixesPerPrefix
        apiKeyEnv = try c.decodeIfPresent(String.self, forKey: .apiKeyEnv)
        apiKeyFile = try c.decodeIfPresent(String.self, forKey: .apiKeyFile)
        caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
        header = try c.decodeIfPresent([String].self, forKey: .header) ?? d.header
        extraBody = try c.decodeIfPresent(String.self, forKey: .extraBody)
        ignoreEOS = try c.decodeIfPresent(Bool.self, forKey: .ignoreEOS) ?? d.ignoreEOS
        minTokens = try c.decodeIfPresent(Bool.self, forKey: .minTokens) ?? d.minTokens
        continuousUsage = try c.decodeIfPresent(Bool.self, forKey: .continuousUsage)
        tokenize = try c.decodeIfPresent(String.self, forKey: .tokenize) ?? d.tokenize
        tokenizer = try c.decodeIfPresent(String.self, forKey: .tokenizer)
        readTimeout = try Self.text(c, .readTimeout) ?? d.readTimeout
        requestTimeout = try Self.text(c, .requestTimeout) ?? d.requestTimeout
        scrapeMetrics = try c.decodeIfPresent(String.self, forKey: .scrapeMetrics) ?? d.scrapeMetrics
        scrapeInterval = try Self.text(c, .scrapeInterval) ?? d.scrapeInterval
        power = try c.decodeIfPresent(String.self, forKey: .power) ?? d.power
        powerURL = try c.decodeIfPresent(String.self, forKey: .powerURL) ?? d.powerURL
        powerCommand = try c.decodeIfPresent(String.self, forKey: .powerCommand)
        powerInterval = try Self.text(c, .powerInterval) ?? d.powerInterval
        output = try c.decodeIfPresent(String.self, forKey: .output)
        label = try c.decodeIfPresent(String.self, forKey: .label)
    }

    /// A scalar given as text or as a number (`isl: 1024` and `isl: "1024"` both work).
    private static func text(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> String? {
        if let s = try? c.decodeIfPresent(String.self, forKey: key) { return s }
        if let i = try? c.decodeIfPresent(Int.self, forKey: key) { return String(i) }
        if let x = try c.decodeIfPresent(Double.self, forKey: key) { return String(x) }
        return nil
    }

    /// A list given as a YAML sequence or a single scalar.
    private static func list<T: Decodable>(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [T]? {
        if let many = try? c.decodeIfPresent([T].self, forKey: key) { return many }
        return try c.decodeIfPresent(T.self, forKey: key).map { [$0] }
    }

    /// Reads a YAML config file, naming any unknown key or bad value.
    public static func load(path: String) throws(ConfigError) -> BenchConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "config", message: "cannot read '\(path)'; check the path")
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self), source: path)
    }

    /// Parses YAML text; unknown keys and wrong types are errors that name the key.
    public static func parse(yaml: String, source: String = "config") throws(ConfigError) -> BenchConfig {
        guard let node = try YAMLDocument.load(yaml, source: source) else { return BenchConfig() }
        guard let map = node as? [String: Any] else {
            throw ConfigError(field: "config", message: "\(source) must be a mapping of settings (key: value)")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let key = map.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError.unknownKey(key, known: known, in: source)
        }
        do {
            return try YAMLDecoder().decode(BenchConfig.self, from: yaml)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context),
            let DecodingError.valueNotFound(_, context)
        {
            let field = context.codingPath.first?.stringValue ?? "config"
            throw ConfigError(field: field, message: "bad value in \(source): \(context.debugDescription)")
        } catch {
            throw ConfigError(field: "config", message: "\(source): \(error)")
        }
    }

    /// The settings as stored in a result: header values redacted, nothing secret.
    public var settings: RunSettings {
        // Plain strings, numbers and flags; a non-finite number is written as text, so neither step can fail.
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try! encoder.encode(redacted)
        return try! JSONDecoder().decode(RunSettings.self, from: data)
    }

    /// The config as stored in a result: header values and nothing secret.
    public var redacted: BenchConfig {
        var copy = self
        copy.header = header.map { line in
            let name = line.split(separator: ":", maxSplits: 1).first.map(String.init) ?? line
            return "\(name.trimmingWhitespace): <redacted>"
        }
        return copy
    }
}
