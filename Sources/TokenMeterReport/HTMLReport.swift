import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterResults

/// One run as the report draws it.
public struct ReportRun: Sendable {
    /// Run id.
    public var id: String
    /// Legend name.
    public var name: String
    /// The measured result.
    public var result: RunResult
    /// Status (`complete`, `partial`, …).
    public var status: String
    /// GPU type, engine and version where known.
    public var hardware: String?
    /// Engine.
    public var engine: String?
    /// How its tokens are priced (nil: not priced, and the report says why).
    public var profile: CostProfile?
    /// The requests of each point (the timeline), by point index; empty when not available.
    public var requests: [Int: [RequestRecord]]

    /// Creates a run.
    public init(id: String, name: String, result: RunResult, status: String, hardware: String?, engine: String?, profile: CostProfile?,
                requests: [Int: [RequestRecord]]) {
        self.id = id
        self.name = name
        self.result = result
        self.status = status
        self.hardware = hardware
        self.engine = engine
        self.profile = profile
        self.requests = requests
    }
}

/// A self-contained HTML report (inline CSS and SVG, no scripts, nothing fetched): throughput per GPU and cost against
/// interactivity, TTFT and TPOT distributions, tokens per second over time, the cost iceberg, and the telemetry the server
/// and GPUs reported — every cost with its assumptions printed beside it.
public enum HTMLReport {
    /// Renders runs into one HTML document.
    public static func render(_ runs: [ReportRun], title: String, generatedAt: String) -> String {
        let e = SVGChart.escapeXML
        let calculator = CostCalculator()
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(e(title))</title>
            <meta name="generator" content="tokenmeter \(e(ToolInfo.version))">
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1200px}
            h1{font-size:22px}h2{font-size:17px;margin-top:28px}
            table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
            th:first-child,td:first-child{text-align:left}
            .chart{display:block;margin:8px 0 18px 0;background:#fff}
            .chart-title{font-size:15px;font-weight:600}.tick{font-size:11px;fill:#444}.axis-label{font-size:12px;fill:#222}
            .legend{font-size:12px}.assumption{font-size:11px;fill:#555}.grid{stroke:#e4e4e4}.frame{fill:none;stroke:#888}
            .note{color:#555;font-size:13px}
            </style></head><body>
            <h1>\(e(title))</h1>
            <p class="note">Generated \(e(generatedAt)) by tokenmeter \(e(ToolInfo.version)). Metrics are defined in docs/metrics.md, costs in docs/cost-model.md.</p>

            """
        // Runs and their provenance.
        html += "<h2>Runs</h2><table id=\"runs\"><tr><th>run</th><th>status</th><th>model</th><th>target</th><th>hardware</th><th>engine</th>"
            + "<th>GPUs</th><th>points</th><th>started</th><th>tokenmeter</th></tr>"
        for run in runs {
            let p = run.result.provenance
            html += "<tr class=\"run\" data-run=\"\(e(run.id))\"><td>\(e(run.name))</td><td>\(e(run.status))</td><td>\(e(p.model))</td><td>\(e(p.targetURL))</td>"
                + "<td>\(e(run.hardware ?? "-"))</td><td>\(e(run.engine ?? "-"))</td><td>\(p.gpus)</td><td>\(run.result.points.count)</td>"
                + "<td>\(e(p.startedAt))</td><td>\(e(p.toolVersion))</td></tr>"
        }
        html += "</table>"

        // Fronts: throughput per GPU and cost against interactivity.
        let measured = runs.map { run in (run, run.result.points.filter { $0.metrics.requestsSucceeded > 0 && $0.metrics.interactivityMedian != nil }) }
        let throughput = measured.map { run, points in
            ChartSeries(name: run.name, points: points.map { ($0.metrics.interactivityMedian!, $0.metrics.outputTokensPerSecondPerGPU) }.sorted { $0.x < $1.x })
        }
        html += "<h2>Throughput per GPU against interactivity</h2>"
        html += SVGChart(id: "chart-throughput", title: "Output tok/s per GPU vs tok/s per user (median)", xLabel: "interactivity (tok/s/user, median)",
                         yLabel: "output tokens/s per GPU", series: throughput,
                         notes: ["one marker per measured point; GPUs per run as declared with bench --gpus"]).render()
        var costNotes: [String] = []
        var costSeries: [ChartSeries] = []
        for (run, points) in measured {
            guard let profile = run.profile else {
                costNotes.append("\(run.name): not priced (the run recorded no hardware; pass --gpu or --profile)")
                continue
            }
            costSeries.append(ChartSeries(name: run.name, points: points.compactMap { point in
                calculator.price(Delivery(metrics: point.metrics), profile: profile).usdPerMtokTotal.map { (point.metrics.interactivityMedian!, $0) }
            }.sorted { $0.x < $1.x }))
            costNotes.append("\(run.name): " + assumptions(profile))
        }
        html += "<h2>Cost per million tokens against interactivity</h2>"
        html += SVGChart(id: "chart-cost", title: "$/Mtok (input + output) vs tok/s per user", xLabel: "interactivity (tok/s/user, median)",
                         yLabel: "$ per million tokens", series: costSeries, notes: costNotes).render()

        // Latency distributions from the timelines.
        func cdf(_ values: [Double]) -> [(x: Double, y: Double)] {
            let sorted = values.filter { $0 > 0 }.sorted()
            guard !sorted.isEmpty else { return [] }
            return sorted.enumerated().map { (i, v) in (v, Double(i + 1) / Double(sorted.count)) }
        }
        var ttft: [ChartSeries] = [], tpot: [ChartSeries] = []
        for run in runs {
            for point in run.result.points {
                let latencies = (run.requests[point.index] ?? []).filter { $0.phase == .measured }.compactMap(RequestLatency.init)
                guard !latencies.isEmpty else { continue }
                ttft.append(ChartSeries(name: "\(run.name) · \(point.label)", points: cdf(latencies.map(\.ttftMs)), markers: false))
                tpot.append(ChartSeries(name: "\(run.name) · \(point.label)", points: cdf(latencies.compactMap(\.tpotMs)), markers: false))
            }
        }
        let timelineNote = ttft.isEmpty ? ["no request timelines stored for these runs"] : ["measured requests of each point, successful ones only"]
        html += "<h2>Latency distributions</h2>"
        html += SVGChart(id: "chart-ttft", title: "TTFT distribution (cumulative)", xLabel: "time to first token (ms, log scale)",
                         yLabel: "fraction of requests", series: ttft, notes: timelineNote, logX: true).render()
        html += SVGChart(id: "chart-tpot", title: "TPOT distribution (cumulative)", xLabel: "time per output token (ms, log scale)",
                         yLabel: "fraction of requests", series: tpot, notes: timelineNote, logX: true).render()

        // Tokens per second over time, one-second buckets over the whole run.
        var overTime: [ChartSeries] = []
        for run in runs {
            var buckets: [Int: Double] = [:]
            var start: UInt64?
            for point in run.result.points {
                start = min(start ?? point.window.startNanoseconds, point.window.startNanoseconds)
            }
            guard let origin = start else { continue }
            for records in run.requests.values {
                for record in records {
                    let tokens = TokenAttribution.tokensPerEvent(record)
                    for (i, event) in record.events.enumerated() where i < tokens.count && tokens[i] > 0 && event.timeNanoseconds >= origin {
                        buckets[Int((event.timeNanoseconds - origin) / 1_000_000_000), default: 0] += tokens[i]
                    }
                }
            }
            guard let last = buckets.keys.max() else { continue }
            overTime.append(ChartSeries(name: run.name, points: (0...last).map { (Double($0), buckets[$0] ?? 0) }, markers: false))
        }
        html += "<h2>Tokens per second over time</h2>"
        html += SVGChart(id: "chart-over-time", title: "Output tokens/s over the run", xLabel: "time since the first point started (s)",
                         yLabel: "output tokens/s (1 s buckets)", series: overTime,
                         notes: ["all points of a run in order, warm-up and drain included; gaps between points show as dips"]).render()

        // The server's own queue over each point, from its scraped gauges.
        var queue: [ChartSeries] = []
        for run in runs {
            for point in run.result.points {
                guard let series = point.serverMetrics?.series, series.count > 1 else { continue }
                let running = series.compactMap { s in s.running.map { (s.seconds, $0) } }
                let waiting = series.compactMap { s in s.waiting.map { (s.seconds, $0) } }
                if !running.isEmpty { queue.append(ChartSeries(name: "\(run.name) · \(point.label) running", points: running, markers: false)) }
                if waiting.contains(where: { $0.1 > 0 }) {
                    queue.append(ChartSeries(name: "\(run.name) · \(point.label) waiting", points: waiting, markers: false))
                }
            }
        }
        if !queue.isEmpty {
            html += "<h2>Server queue</h2>"
            html += SVGChart(id: "chart-server-queue", title: "Requests running and waiting, as the server reported them",
                             xLabel: "time since the point's window started (s)", yLabel: "requests", series: queue,
                             notes: ["from the server's /metrics, scraped during each point"]).render()
        }

        // The cost iceberg: what one GPU-hour is made of.
        var bars: [(name: String, parts: [(String, Double)])] = []
        var icebergNotes: [String] = []
        for run in runs {
            guard let profile = run.profile, let hour = GPUHourCost(profile) else { continue }
            bars.append((run.name, hour.breakdown.map { ($0.name, $0.usdPerGPUHour) }))
            icebergNotes.append("\(run.name): " + assumptions(profile))
        }
        html += "<h2>Cost iceberg</h2>"
        html += SVGStackedBars(id: "chart-iceberg", title: "What one used GPU-hour costs", xLabel: "$ per used GPU-hour", bars: bars,
                               notes: icebergNotes.isEmpty ? ["no run is priced"] : icebergNotes).render()

        // Telemetry the server and the GPUs reported.
        html += "<h2>Server and GPU telemetry</h2><table id=\"telemetry\"><tr><th>run · point</th><th>running mean/max</th><th>waiting max</th>"
            + "<th>KV cache max %</th><th>prefix hit %</th><th>spec accept %</th><th>server / client output tokens</th><th>J/token</th></tr>"
        func n(_ v: Double?, _ d: Int = 1) -> String { v.map { String(format: "%.\(d)f", $0) } ?? "-" }
        for run in runs {
            for point in run.result.points {
                let s = point.serverMetrics
                html += "<tr><td>\(e(run.name)) · \(e(point.label))</td><td>\(n(s?.runningMean)) / \(n(s?.runningMax))</td><td>\(n(s?.waitingMax))</td>"
                    + "<td>\(n(s?.kvCacheUsageMax.map { $0 * 100 }))</td><td>\(n(s?.prefixCacheHitRate.map { $0 * 100 }))</td>"
                    + "<td>\(n(s?.specDecodeAcceptance.map { $0 * 100 }))</td>"
                    + "<td>\(n(s?.serverGenerationTokens, 0)) / \(s.map { String($0.clientOutputTokens) } ?? "-")</td>"
                    + "<td>\(n(point.energy?.joulesPerToken, 3))\(point.energy.map { " (\(e($0.measurement.method ?? "trapezoid")))" } ?? "")</td></tr>"
            }
        }
        html += "</table>"

        // Tokens counted three ways: usage, the local tokenizer, the server's counters.
        html += "<h2>Token counts</h2><table id=\"tokens\"><tr><th>run · point</th><th>requests</th><th>output: usage / local / server</th>"
            + "<th>prompt: usage / local / server</th><th>prompt offset per request</th><th>requests that differ (output, prompt)</th>"
            + "<th>cached prompt tokens</th><th>usage in every chunk</th></tr>"
        func count(_ v: Int?) -> String { v.map(String.init) ?? "-" }
        for run in runs {
            for point in run.result.points {
                guard let t = point.tokens else { continue }
                html += "<tr><td>\(e(run.name)) · \(e(point.label))</td><td>\(t.requests)</td>"
                    + "<td>\(t.usageOutputTokens) / \(count(t.localOutputTokens)) / \(n(t.serverOutputTokens, 0))</td>"
                    + "<td>\(t.usagePromptTokens) / \(count(t.localPromptTokens)) / \(n(t.serverPromptTokens, 0))</td>"
                    + "<td>\(count(t.promptOffsetPerRequest))</td><td>\(t.outputMismatches), \(t.promptMismatches)</td>"
                    + "<td>\(t.cachedPromptTokens)</td><td>\(t.usageRepeatedRequests)</td></tr>"
            }
        }
        html += "</table>"
        let warnings = runs.flatMap { run in run.result.warnings.map { "\(run.name): \($0)" } + run.result.points.flatMap { p in p.warnings.map { "\(run.name) · \(p.label): \($0)" } } }
        if !warnings.isEmpty {
            html += "<h2>Warnings</h2><ul id=\"warnings\">" + warnings.map { "<li>\(e($0))</li>" }.joined() + "</ul>"
        }
        return html + "</body></html>\n"
    }

    /// The assumptions behind a profile's costs, in one line: its price per GPU-hour, utilisation and power boundary.
    public static func assumptions(_ profile: CostProfile) -> String {
        var parts = [profile.name]
        if let hour = GPUHourCost(profile) {
            parts.append(String(format: "$%.2f per used GPU-hour", hour.usdPerUsedGPUHour))
            parts.append(String(format: "utilisation %.0f%%", hour.utilisation * 100))
        } else {
            parts.append("API prices")
        }
        if let power = profile.power {
            parts.append(String(format: "power boundary %@ at %.2f kW/GPU", power.boundary.rawValue, power.kilowattsPerGPU))
        } else {
            parts.append("power boundary: none given")
        }
        return parts.joined(separator: ", ")
    }
}
