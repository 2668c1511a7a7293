import NIOHTTP1
import TokenMeterCore

/// Engine metric names that explain throughput; the first one a server exposes is used (vLLM, SGLang, llama.cpp, target).
enum EngineMetricNames {
    static let promptTokens = ["vllm:prompt_tokens_total", "sglang:prompt_tokens_total", "llamacpp:prompt_tokens_total"]
    /// Prompt tokens a server served from its prefix cache and counts apart from its prompt counter.
    static let cachedPromptTokens = ["llamacpp:prompt_tokens_cached_total", "sglang:cached_tokens_total"]
    static let generationTokens = ["vllm:generation_tokens_total", "sglang:generation_tokens_total", "llamacpp:tokens_predicted_total"]
    static let running = ["vllm:num_requests_running", "sglang:num_running_reqs", "llamacpp:requests_processing"]
    static let waiting = ["vllm:num_requests_waiting", "sglang:num_queue_reqs", "llamacpp:requests_deferred"]
    static let kvUsage = ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "sglang:token_usage", "llamacpp:kv_cache_usage_ratio"]
    static let preemptions = ["vllm:num_preemptions_total"]
    static let prefixHits = ["vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"]
    static let prefixQueries = ["vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total"]
    /// SGLang reports its prefix-cache hit rate as a gauge.
    static let prefixHitRateGauge = ["sglang:cache_hit_rate"]
    static let specAccepted = ["vllm:spec_decode_num_accepted_tokens_total"]
    static let specDrafted = ["vllm:spec_decode_num_draft_tokens_total"]

    static func first(_ names: [String], in e: PrometheusExposition) -> Double? {
        for name in names { if let v = e.total(name) { return v } }
        return nil
    }
}

/// One scrape of a server's `/metrics`, stamped with the monotonic clock.
public struct MetricsScrape: Sendable {
    /// When the response arrived (monotonic ns).
    public var timeNanoseconds: UInt64
    /// What it said.
    public var exposition: PrometheusExposition

    /// Creates a scrape.
    public init(timeNanoseconds: UInt64, exposition: PrometheusExposition) {
        self.timeNanoseconds = timeNanoseconds
        self.exposition = exposition
    }
}

/// Reads a server's Prometheus endpoint.
public struct MetricsScraper: Sendable {
    let client: StreamingHTTPClient
    let address: EndpointAddress
    let path: String

    /// Creates a scraper of `path` (default `/metrics` at the server root).
    public init(client: StreamingHTTPClient, address: EndpointAddress, path: String? = nil) {
        self.client = client
        self.address = address
        self.path = path ?? address.rootPath("metrics")
    }

    /// One scrape, or why it failed.
    public func scrape() async -> Result<MetricsScrape, RequestFailure> {
        let request = PreparedRequest(method: .GET, uri: path, headers: [("Host", address.host)], body: [],
                                      expectsEventStream: false)
        let response = await client.execute(request)
        if let failure = response.failure { return .failure(failure) }
        guard response.status == 200 else {
            return .failure(RequestFailure(kind: .httpStatus, message: "/metrics answered HTTP \(response.status ?? 0)", httpStatus: response.status))
        }
        do {
            let exposition = try PrometheusExposition(parsing: String(decoding: response.body, as: UTF8.self))
            return .success(MetricsScrape(timeNanoseconds: response.endNanoseconds ?? MonotonicClock.nowNanoseconds(), exposition: exposition))
        } catch {
            return .failure(RequestFailure(kind: .malformed, message: "/metrics: \(error)"))
        }
    }

    /// Scrapes every `intervalSeconds` until the task is cancelled; returns what it collected (bounded by `limit`).
    public func poll(intervalSeconds: Double, limit: Int = 100_000) async -> [MetricsScrape] {
        var scrapes: [MetricsScrape] = []
        while !Task.isCancelled, scrapes.count < limit {
            if case let .success(s) = await scrape() { scrapes.append(s) }
            try? await Task.sleep(nanoseconds: UInt64(intervalSeconds * 1e9))
        }
        return scrapes
    }
}

/// One scrape inside a point's window: the gauges that explain throughput, and how far the token counter has moved.
public struct ServerMetricsSample: Codable, Sendable, Equatable {
    /// Seconds since the window started.
    public var seconds: Double
    /// Requests running.
    public var running: Double?
    /// Requests waiting.
    public var waiting: Double?
    /// KV-cache usage (0–1).
    public var kvCacheUsage: Double?
    /// Generated tokens counted since the point's first scrape.
    public var generatedTokens: Double?

    enum CodingKeys: String, CodingKey {
        case seconds = "t_s", running, waiting, kvCacheUsage = "kv_cache_usage", generatedTokens = "generated_tokens"
    }
}

/// What the server's own metrics said about a point (its token counters are compared with the client's in `TokenReconciliation`).
public struct ServerMetricsSummary: Codable, Sendable, Equatable {
    /// Scrapes inside the window.
    public var scrapes: Int
    /// Requests running: mean and max over the window's scrapes.
    public var runningMean: Double?
    /// Max running.
    public var runningMax: Double?
    /// Requests waiting: mean and max.
    public var waitingMean: Double?
    /// Max waiting.
    public var waitingMax: Double?
    /// KV-cache usage (0–1): mean and max.
    public var kvCacheUsageMean: Double?
    /// Max KV-cache usage.
    public var kvCacheUsageMax: Double?
    /// Preemptions during the point.
    public var preemptions: Double?
    /// Prefix-cache hits ÷ queries during the point.
    public var prefixCacheHitRate: Double?
    /// Accepted ÷ drafted speculative tokens during the point.
    public var specDecodeAcceptance: Double?
    /// Prompt tokens the server counted during the point.
    public var serverPromptTokens: Double?
    /// Generated tokens the server counted during the point.
    public var serverGenerationTokens: Double?
    /// Prompt tokens the server served from its prefix cache during the point, where it counts them apart (llama.cpp, SGLang).
    public var serverCachedPromptTokens: Double?
    /// Prompt tokens the client's usage reported for the point.
    public var clientPromptTokens: Int
    /// Output tokens the client received (usage, or events where there was none).
    public var clientOutputTokens: Int
    /// Every scrape inside the window, in order (absent in results written before it was kept).
    public var series: [ServerMetricsSample]?

    enum CodingKeys: String, CodingKey {
        case scrapes, runningMean = "running_mean", runningMax = "running_max", waitingMean = "waiting_mean", waitingMax = "waiting_max"
        case kvCacheUsageMean = "kv_cache_usage_mean", kvCacheUsageMax = "kv_cache_usage_max", preemptions
        case prefixCacheHitRate = "prefix_cache_hit_rate", specDecodeAcceptance = "spec_decode_acceptance"
        case serverPromptTokens = "server_prompt_tokens", serverGenerationTokens = "server_generation_tokens"
        case serverCachedPromptTokens = "server_cached_prompt_tokens"
        case clientPromptTokens = "client_prompt_tokens", clientOutputTokens = "client_output_tokens", series
    }

    /// Summarises scrapes taken before (`start`), during (`samples`) and after (`end`) a point.
    public init(start: MetricsScrape, end: MetricsScrape, samples: [MetricsScrape], window: MeasurementWindow, records: [RequestRecord]) {
        let inside = samples.filter { window.contains($0.timeNanoseconds) }
        scrapes = inside.count
        func gauge(_ names: [String]) -> (Double?, Double?) {
            let values = inside.compactMap { EngineMetricNames.first(names, in: $0.exposition) }
            guard !values.isEmpty else { return (nil, nil) }
            return (values.reduce(0, +) / Double(values.count), values.max())
        }
        func delta(_ names: [String]) -> Double? {
            guard let a = EngineMetricNames.first(names, in: start.exposition), let b = EngineMetricNames.first(names, in: end.exposition) else { return nil }
            return b - a
        }
        (runningMean, runningMax) = gauge(EngineMetricNames.running)
        (waitingMean, waitingMax) = gauge(EngineMetricNames.waiting)
        (kvCacheUsageMean, kvCacheUsageMax) = gauge(EngineMetricNames.kvUsage)
        preemptions = delta(EngineMetricNames.preemptions)
        if let hits = delta(EngineMetricNames.prefixHits), let queries = delta(EngineMetricNames.prefixQueries), queries > 0 {
            prefixCacheHitRate = hits / queries
        } else {
            prefixCacheHitRate = gauge(EngineMetricNames.prefixHitRateGauge).0
        }
        if let accepted = delta(EngineMetricNames.specAccepted), let drafted = delta(EngineMetricNames.specDrafted), drafted > 0 {
            specDecodeAcceptance = accepted / drafted
        }
        serverPromptTokens = delta(EngineMetricNames.promptTokens)
        serverGenerationTokens = delta(EngineMetricNames.generationTokens)
        serverCachedPromptTokens = delta(EngineMetricNames.cachedPromptTokens)
        let generatedAtStart = EngineMetricNames.first(EngineMetricNames.generationTokens, in: start.exposition)
        series = inside.sorted { $0.timeNanoseconds < $1.timeNanoseconds }.map { scrape in
            let e = scrape.exposition
            return ServerMetricsSample(
                seconds: Double(Int64(bitPattern: scrape.timeNanoseconds &- window.startNanoseconds)) / 1e9,
                running: EngineMetricNames.first(EngineMetricNames.running, in: e), waiting: EngineMetricNames.first(EngineMetricNames.waiting, in: e),
                kvCacheUsage: EngineMetricNames.first(EngineMetricNames.kvUsage, in: e),
                generatedTokens: EngineMetricNames.first(EngineMetricNames.generationTokens, in: e).flatMap { now in generatedAtStart.map { now - $0 } })
        }
        // Requests that reached the server: every one with a response head or an event.
        let reached = records.filter { $0.responseHeadNanoseconds != nil || !$0.events.isEmpty }
        clientPromptTokens = reached.reduce(0) { $0 + ($1.usage?.promptTokens ?? 0) }
        clientOutputTokens = reached.reduce(0) { $0 + $1.outputTokens }
    }
}
