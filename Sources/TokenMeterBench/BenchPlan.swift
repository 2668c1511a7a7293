import Foundation
import NIOSSL
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterOpenAI
import TokenMeterTelemetry
import TokenMeterTokenizer
import TokenMeterWorkloads

/// A validated, resolved `bench` configuration: everything a session needs, nothing left to parse.
public struct BenchPlan: Sendable {
    /// The endpoint.
    public var address: EndpointAddress
    /// Model name (nil: ask the server).
    public var model: String?
    /// Request settings other than the model.
    public var api: APIKind
    /// Whether to stream.
    public var stream: Bool
    /// The sweep.
    public var modes: [LoadMode]
    /// Prompt source and lengths.
    public var source: PromptSource
    /// Input lengths.
    public var inputLength: LengthSpec
    /// Output lengths.
    public var outputLength: LengthSpec
    /// Explicit measured-request count, if any.
    public var requests: Int?
    /// Measured duration, if any (seconds).
    public var durationSeconds: Double?
    /// Warm-up count, if given as a count.
    public var warmupRequests: Int?
    /// Warm-up time, if given as a time (seconds).
    public var warmupSeconds: Double?
    /// Drain rule.
    public var drain: DrainRule
    /// Drain timeout (seconds).
    public var drainTimeoutSeconds: Double
    /// Hard per-point limit (seconds).
    public var maxPointSeconds: Double
    /// Closed loop: the slots' first requests spread over this long (seconds).
    public var rampUpSeconds: Double = 0
    /// GPUs behind the endpoint.
    public var gpus: Int
    /// Objective for goodput.
    public var objective: ServiceLevelObjective?
    /// Seed.
    public var seed: UInt64
    /// Extra headers (the API key among them).
    public var headers: [(String, String)]
    /// Extra body fields.
    public var extraBody: JSONValue?
    /// ignore_eos.
    public var ignoreEOS: Bool
    /// min_tokens.
    public var minTokens: Bool
    /// continuous_usage_stats (nil: decided by target kind).
    public var continuousUsage: Bool?
    /// Tokenization mode.
    public var tokenize: TokenizeMode
    /// The local tokenizer (`--tokenizer`), and the file it came from.
    public var tokenizer: (tokenizer: HuggingFaceTokenizer, path: String)?
    /// Client timeouts.
    public var timeouts: ClientTimeouts
    /// TLS context for an https endpoint.
    public var tls: NIOSSLContext?
    /// Scrape `/metrics` during points (nil: off), every this many seconds.
    public var scrapeIntervalSeconds: Double?
    /// GPU power source (nil: off).
    public var power: PowerSource?
    /// Interval between power readings, s.
    public var powerIntervalSeconds: Double = 0.5

    /// How prompt lengths are made exact.
    public enum TokenizeMode: String, Sendable {
        /// Use the server's `/tokenize` when it answers, else approximate with a warning.
        case auto
        /// Require the server's `/tokenize`.
        case server
        /// Approximate lengths (flagged in the result).
        case off
    }

    /// Validates a config; `url` must be set (the CLI fills it in for the built-in target); `environment` supplies the API key.
    public init(config: BenchConfig, environment: [String: String]) throws(ConfigError) {
        guard let url = config.url else { throw ConfigError(field: "url", message: "no endpoint given; pass --url http://HOST:PORT/v1") }
        address = try EndpointAddress(parsing: url)
        model = config.model
        api = config.api
        stream = config.stream
        guard config.gpus >= 1 else { throw ConfigError(field: "gpus", message: "must be at least 1, got \(config.gpus)") }
        gpus = config.gpus
        if config.concurrency != nil, config.rate != nil {
            throw ConfigError(field: "rate", message: "give either --concurrency (closed loop) or --rate (open loop), not both")
        }
        if let rates = config.rate {
            guard !rates.isEmpty, rates.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw ConfigError(field: "rate", message: "rates must be positive numbers of requests per second, e.g. --rate 5,10,20")
            }
            guard config.burstiness > 0 else { throw ConfigError(field: "burstiness", message: "must be above 0 (1 is Poisson)") }
            if let cap = config.maxConcurrency, cap < 1 {
                throw ConfigError(field: "max-concurrency", message: "must be at least 1, got \(cap)")
            }
            modes = rates.map { .rate($0, config.arrival, burstiness: config.burstiness, maxConcurrency: config.maxConcurrency) }
        } else {
            let levels = config.concurrency ?? [1, 4, 16, 64]
            guard !levels.isEmpty, levels.allSatisfy({ $0 >= 1 && $0 <= 100_000 }) else {
                throw ConfigError(field: "concurrency", message: "concurrencies must be whole numbers from 1 to 100000, e.g. --concurrency 1,2,4,8")
            }
            if config.maxConcurrency != nil {
                throw ConfigError(field: "max-concurrency", message: "only applies to open-loop --rate points")
            }
            modes = levels.map { .concurrency($0) }
        }
        inputLength = try LengthSpec(parsing: config.isl, field: "isl")
        outputLength = try LengthSpec(parsing: config.osl, field: "osl")
        if let dataset = config.dataset {
            if config.prefixCount != nil { throw ConfigError(field: "prefix-count", message: "cannot be combined with --dataset") }
            source = .dataset(path: dataset)
            _ = try Self.checkReadable(dataset, field: "dataset")
        } else if let count = config.prefixCount {
            guard count >= 1 else { throw ConfigError(field: "prefix-count", message: "must be at least 1") }
            guard config.prefixTokens >= 1 else { throw ConfigError(field: "prefix-tokens", message: "must be at least 1") }
            guard config.suffixesPerPrefix >= 1 else { throw ConfigError(field: "suffixes-per-prefix", message: "must be at least 1") }
            source = .sharedPrefix(prefixCount: count, prefixTokens: config.prefixTokens, suffixesPerPrefix: config.suffixesPerPrefix)
        } else {
            source = .synthetic
        }
        if let r = config.requests, r < 1 { throw ConfigError(field: "requests", message: "must be at least 1, got \(r)") }
        requests = config.requests
        if let d = config.duration {
            let ms = try DurationText.milliseconds(d, field: "duration")
            guard ms > 0 else { throw ConfigError(field: "duration", message: "must be longer than zero") }
            durationSeconds = ms / 1000
        }
        if requests != nil, durationSeconds != nil {
            throw ConfigError(field: "duration", message: "give either --requests or --duration per point, not both")
        }
        if let w = config.warmup {
            if let n = Int(w.trimmingWhitespace) {
                guard n >= 0 else { throw ConfigError(field: "warmup", message: "must not be negative") }
                warmupRequests = n
            } else {
                warmupSeconds = try DurationText.milliseconds(w, field: "warmup") / 1000
            }
        }
        drain = config.drain
        drainTimeoutSeconds = try DurationText.milliseconds(config.drainTimeout, field: "drain-timeout") / 1000
        maxPointSeconds = try DurationText.milliseconds(config.maxPointDuration, field: "max-point-duration") / 1000
        guard maxPointSeconds > 0 else { throw ConfigError(field: "max-point-duration", message: "must be longer than zero") }
        if let ramp = config.rampUp {
            guard config.rate?.isEmpty ?? true else {
                throw ConfigError(field: "ramp-up", message: "applies to a closed loop (--concurrency); an open loop's arrivals are its schedule")
            }
            rampUpSeconds = try DurationText.milliseconds(ramp, field: "ramp-up") / 1000
            guard rampUpSeconds < maxPointSeconds else {
                throw ConfigError(field: "ramp-up", message: "must be shorter than max-point-duration (\(config.maxPointDuration))")
            }
        }
        if let slo = config.slo { objective = try ServiceLevelObjective(presetOrSpec: slo) }
        seed = UInt64(bitPattern: Int64(config.seed))
        var headers: [(String, String)] = []
        for line in config.header {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[0].trimmingWhitespace.isEmpty else {
                throw ConfigError(field: "header", message: "'\(parts.first ?? "")…' is not 'Name: value'")
            }
            headers.append((parts[0].trimmingWhitespace, parts[1].trimmingWhitespace))
        }
        if let key = try Self.apiKey(config: config, environment: environment) {
            headers.append(("Authorization", "Bearer \(key)"))
        }
        self.headers = headers
        if let extra = config.extraBody {
            let parsed: JSONValue
            do { parsed = try JSONValue.parse(extra) } catch {
                throw ConfigError(field: "extra-body", message: "not JSON (\(error)); write e.g. '{\"top_k\": 1}'")
            }
            guard case .object = parsed else { throw ConfigError(field: "extra-body", message: "must be a JSON object") }
            extraBody = parsed
        }
        ignoreEOS = config.ignoreEOS
        minTokens = config.minTokens
        continuousUsage = config.continuousUsage
        guard let mode = TokenizeMode(rawValue: config.tokenize) else {
            throw ConfigError(field: "tokenize", message: "'\(config.tokenize)' is not auto, server or off")
        }
        tokenize = mode
        if let path = config.tokenizer {
            // Servers add a raw prompt's special tokens (a BOS) to completions; a chat template's tokens are not knowable here.
            do {
                tokenizer = (try HuggingFaceTokenizer(contentsOf: path, addSpecialTokens: config.api == .completions), path)
            } catch let error as ConfigError {
                throw ConfigError(field: "tokenizer", message: "\(path): \(error.field): \(error.message)")
            } catch {
                throw ConfigError(field: "tokenizer", message: "\(path): \(error)")
            }
        }
        let read = try DurationText.milliseconds(config.readTimeout, field: "read-timeout") / 1000
        let total = try DurationText.milliseconds(config.requestTimeout, field: "request-timeout") / 1000
        guard read > 0, total > 0 else { throw ConfigError(field: "read-timeout", message: "timeouts must be longer than zero") }
        timeouts = ClientTimeouts(readSeconds: read, totalSeconds: total)
        if let caFile = config.caFile {
            guard address.secure else { throw ConfigError(field: "ca-file", message: "only applies to https:// endpoints") }
            try Self.checkReadable(caFile, field: "ca-file")
        }
        tls = address.secure ? try StreamingHTTPClient.tlsContext(caFile: config.caFile) : nil
        switch config.scrapeMetrics {
        case "off": scrapeIntervalSeconds = nil
        case "auto":
            let interval = try DurationText.milliseconds(config.scrapeInterval, field: "scrape-interval") / 1000
            guard interval >= 0.05 else { throw ConfigError(field: "scrape-interval", message: "must be at least 50ms") }
            scrapeIntervalSeconds = interval
        default: throw ConfigError(field: "scrape-metrics", message: "'\(config.scrapeMetrics)' is not auto or off")
        }
        powerIntervalSeconds = try DurationText.milliseconds(config.powerInterval, field: "power-interval") / 1000
        guard powerIntervalSeconds >= 0.05 else { throw ConfigError(field: "power-interval", message: "must be at least 50ms") }
        let intervalMs = Int((powerIntervalSeconds * 1000).rounded())
        switch config.power {
        case "off": power = nil
        case "dcgm":
            do { _ = try EndpointAddress(parsing: config.powerURL) } catch {
                throw ConfigError(field: "power-url", message: error.message)
            }
            power = .dcgm(url: config.powerURL)
        case "nvidia-smi", "amd-smi":
            if let command = config.powerCommand {
                let words = command.split(separator: " ").map(String.init)
                guard !words.isEmpty else { throw ConfigError(field: "power-command", message: "is empty") }
                power = .command(words)
            } else {
                power = config.power == "amd-smi" ? .amdSMI(intervalMilliseconds: intervalMs) : .nvidiaSMI(intervalMilliseconds: intervalMs)
            }
        default: throw ConfigError(field: "power", message: "'\(config.power)' is not off, nvidia-smi, amd-smi or dcgm")
        }
    }

    /// The API key from `--api-key-file` or the named (or default) environment variable; never from a flag value.
    static func apiKey(config: BenchConfig, environment: [String: String]) throws(ConfigError) -> String? {
        if let file = config.apiKeyFile {
            let data = try checkReadable(file, field: "api-key-file")
            let key = String(decoding: data, as: UTF8.self).trimmingWhitespace
            guard !key.isEmpty else { throw ConfigError(field: "api-key-file", message: "'\(file)' is empty") }
            return key
        }
        if let name = config.apiKeyEnv {
            guard let key = environment[name], !key.isEmpty else {
                throw ConfigError(field: "api-key-env", message: "environment variable \(name) is not set or empty")
            }
            return key
        }
        for name in ["TOKENMETER_API_KEY", "OPENAI_API_KEY"] {
            if let key = environment[name], !key.isEmpty { return key }
        }
        return nil
    }

    @discardableResult
    static func checkReadable(_ path: String, field: String) throws(ConfigError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: field, message: "cannot read '\(path)'; check the path and permissions")
        }
        return data
    }

    /// Bounds of a point: defaults scale with the concurrency or rate.
    public func bounds(for mode: LoadMode) -> PointBounds {
        let c: Int
        var measured: Int? = requests
        switch mode {
        case let .concurrency(n):
            c = n
            if measured == nil, durationSeconds == nil { measured = max(16, 8 * n) }
        case let .rate(r, _, _, cap):
            c = cap ?? max(1, Int(r.rounded(.up)))
            if measured == nil, durationSeconds == nil { measured = max(16, Int((r * 10).rounded())) }
        }
        return PointBounds(
            warmupRequests: warmupSeconds == nil ? (warmupRequests ?? c) : 0, warmupSeconds: warmupSeconds,
            measuredRequests: measured, durationSeconds: durationSeconds, drain: drain,
            drainTimeoutSeconds: drainTimeoutSeconds, maxPointSeconds: maxPointSeconds, rampUpSeconds: rampUpSeconds)
    }

    /// Distinct prompts to plan for a point: every request when counted, else a bounded pool that is cycled.
    public func planSize(for bounds: PointBounds, mode: LoadMode) -> Int {
        if let measured = bounds.measuredRequests, bounds.warmupSeconds == nil { return measured + bounds.warmupRequests }
        switch mode {
        case let .rate(r, _, _, _):
            return min(8192, max(64, Int((r * ((durationSeconds ?? 10) + (warmupSeconds ?? 0)) * 1.2).rounded(.up)) + 16))
        case let .concurrency(n):
            return min(8192, max(256, 64 * n))
        }
    }
}
