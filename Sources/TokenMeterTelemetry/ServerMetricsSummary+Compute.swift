import TokenMeterCore
import TokenMeterResults

extension ServerMetricsSummary {
    /// Summarises scrapes taken before (`start`), during (`samples`) and after (`end`) a point.
    public init(start: MetricsScrape, end: MetricsScrape, samples: [MetricsScrape], window: MeasurementWindow, records: [RequestRecord]) {
        let inside = samples.filter { window.contains($0.timeNanoseconds) }.sorted { $0.timeNanoseconds < $1.timeNanoseconds }
        func gauge(_ names: [String]) -> (mean: Double?, max: Double?) {
            let values = inside.compactMap { EngineMetricNames.first(names, in: $0.exposition) }
            guard !values.isEmpty else { return (nil, nil) }
            return (values.reduce(0, +) / Double(values.count), values.max())
        }
        func delta(_ names: [String]) -> Double? {
            guard let a = EngineMetricNames.first(names, in: start.exposition), let b = EngineMetricNames.first(names, in: end.exposition) else { return nil }
            return b - a
        }
        func ratio(_ part: [String], _ whole: [String]) -> Double? {
            guard let p = delta(part), let w = delta(whole), w > 0 else { return nil }
            return p / w
        }
        let running = gauge(EngineMetricNames.running), waiting = gauge(EngineMetricNames.waiting), kv = gauge(EngineMetricNames.kvUsage)
        // Requests that reached the server: every one with a response head or an event.
        let reached = records.filter { $0.responseHeadNanoseconds != nil || !$0.events.isEmpty }
        self.init(
            scrapes: inside.count, runningMean: running.mean, runningMax: running.max, waitingMean: waiting.mean, waitingMax: waiting.max,
            kvCacheUsageMean: kv.mean, kvCacheUsageMax: kv.max, preemptions: delta(EngineMetricNames.preemptions),
            prefixCacheHitRate: ratio(EngineMetricNames.prefixHits, EngineMetricNames.prefixQueries)
                ?? gauge(EngineMetricNames.prefixHitRateGauge).mean,
            specDecodeAcceptance: ratio(EngineMetricNames.specAccepted, EngineMetricNames.specDrafted),
            serverPromptTokens: delta(EngineMetricNames.promptTokens), serverGenerationTokens: delta(EngineMetricNames.generationTokens),
            serverCachedPromptTokens: delta(EngineMetricNames.cachedPromptTokens),
            clientPromptTokens: reached.reduce(0) { $0 + ($1.usage?.promptTokens ?? 0) },
            clientOutputTokens: reached.reduce(0) { $0 + $1.outputTokens },
            series: Self.series(inside, window: window, generatedAtStart: EngineMetricNames.first(EngineMetricNames.generationTokens, in: start.exposition)))
    }

    /// Every scrape inside the window as a sample, with the generated tokens counted since the point's first scrape.
    static func series(_ inside: [MetricsScrape], window: MeasurementWindow, generatedAtStart: Double?) -> [ServerMetricsSample] {
        inside.map { scrape in
            let e = scrape.exposition
            return ServerMetricsSample(
                seconds: Double(Int64(bitPattern: scrape.timeNanoseconds &- window.startNanoseconds)) / 1e9,
                running: EngineMetricNames.first(EngineMetricNames.running, in: e), waiting: EngineMetricNames.first(EngineMetricNames.waiting, in: e),
                kvCacheUsage: EngineMetricNames.first(EngineMetricNames.kvUsage, in: e),
                generatedTokens: EngineMetricNames.first(EngineMetricNames.generationTokens, in: e).flatMap { now in generatedAtStart.map { now - $0 } })
        }
    }
}
