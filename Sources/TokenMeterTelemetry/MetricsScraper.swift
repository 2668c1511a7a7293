import NIOHTTP1
import TokenMeterCore
import TokenMeterHTTP

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
