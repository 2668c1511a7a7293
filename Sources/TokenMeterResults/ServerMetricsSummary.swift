import TokenMeterCore

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

    /// Creates a sample.
    public init(seconds: Double, running: Double?, waiting: Double?, kvCacheUsage: Double?, generatedTokens: Double?) {
        self.seconds = seconds
        self.running = running
        self.waiting = waiting
        self.kvCacheUsage = kvCacheUsage
        self.generatedTokens = generatedTokens
    }

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

    /// Creates a summary.
    public init(scrapes: Int, runningMean: Double?, runningMax: Double?, waitingMean: Double?, waitingMax: Double?, kvCacheUsageMean: Double?,
                kvCacheUsageMax: Double?, preemptions: Double?, prefixCacheHitRate: Double?, specDecodeAcceptance: Double?,
                serverPromptTokens: Double?, serverGenerationTokens: Double?, serverCachedPromptTokens: Double?, clientPromptTokens: Int,
                clientOutputTokens: Int, series: [ServerMetricsSample]?) {
        self.scrapes = scrapes
        self.runningMean = runningMean
        self.runningMax = runningMax
        self.waitingMean = waitingMean
        self.waitingMax = waitingMax
        self.kvCacheUsageMean = kvCacheUsageMean
        self.kvCacheUsageMax = kvCacheUsageMax
        self.preemptions = preemptions
        self.prefixCacheHitRate = prefixCacheHitRate
        self.specDecodeAcceptance = specDecodeAcceptance
        self.serverPromptTokens = serverPromptTokens
        self.serverGenerationTokens = serverGenerationTokens
        self.serverCachedPromptTokens = serverCachedPromptTokens
        self.clientPromptTokens = clientPromptTokens
        self.clientOutputTokens = clientOutputTokens
        self.series = series
    }
}
