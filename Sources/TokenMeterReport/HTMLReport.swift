import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterResults

/// A self-contained HTML report (inline CSS and SVG, no scripts, nothing fetched): throughput per GPU and cost against
/// interactivity, TTFT and TPOT distributions, tokens per second over time, the cost iceberg, and the telemetry the server
/// and GPUs reported — every cost with its assumptions printed beside it.
public enum HTMLReport {
    /// Renders runs into one HTML document.
    public static func render(_ runs: [ReportRun], title: String, generatedAt: String) -> String {
        HTMLPage.document(title: title, body: body(runs, title: title, generatedAt: generatedAt))
    }

    /// The report's body, for a page of its own or inside another (the dashboard's).
    public static func body(_ runs: [ReportRun], title: String, generatedAt: String) -> String {
        let e = HTMLPage.escape
        return "<h1>\(e(title))</h1>\n<p class=\"note\">Generated \(e(generatedAt)) by tokenmeter \(e(ToolInfo.version)). "
            + "Metrics are defined in docs/metrics.md, costs in docs/cost-model.md.</p>\n"
            + AnswerSection.html(runs) + runsTable(runs) + frontCharts(runs) + latencyCharts(runs) + overTimeChart(runs) + serverQueueChart(runs)
            + icebergChart(runs) + telemetryTable(runs) + tokenTable(runs) + importedSection(runs) + warningsList(runs)
    }

    /// The runs and their provenance.
    static func runsTable(_ runs: [ReportRun]) -> String {
        let e = HTMLPage.escape
        let rows = runs.map { run in
            let p = run.result.provenance
            let cells = [run.name, run.status, p.model, p.targetURL, run.hardware ?? "-", run.engine ?? "-"].map(e)
                + [String(p.gpus), String(run.result.points.count), e(p.startedAt),
                   e(p.imported.map { "\($0.tool)\($0.toolVersion.map { " \($0)" } ?? "")" } ?? "tokenmeter \(p.toolVersion)")]
            return (cells, "class=\"run\" data-run=\"\(e(run.id))\"")
        }
        return "<h2>Runs</h2>" + HTMLPage.table(id: "runs", header: ["run", "status", "model", "target", "hardware", "engine", "GPUs", "points",
                                                                     "started", "measured by"], rows: rows)
    }

    /// Throughput per GPU and cost against interactivity: one marker per measured point.
    static func frontCharts(_ runs: [ReportRun]) -> String {
        let measured = runs.map { run in (run, run.result.points.filter { $0.metrics.requestsSucceeded > 0 && $0.metrics.interactivityMedian != nil }) }
        let throughput = measured.map { run, points in
            ChartSeries(name: run.name, points: points.map { ($0.metrics.interactivityMedian!, $0.metrics.outputTokensPerSecondPerGPU) }.sorted { $0.x < $1.x })
        }
        var costNotes: [String] = []
        var costSeries: [ChartSeries] = []
        for (run, points) in measured {
            let priced = points.compactMap { point in run.prices[point.index]?.usdPerMtokBlended.map { (point.metrics.interactivityMedian!, $0) } }
            if !priced.isEmpty { costSeries.append(ChartSeries(name: run.name, points: priced.sorted { $0.0 < $1.0 })) }
            if let source = points.lazy.compactMap({ run.prices[$0.index] }).first, source.kind == "card" {
                costNotes.append("\(run.name): billed request by request from its usage by the \(source.source) price card")
            } else {
                switch run.pricing {
                case let .failure(unpriced): costNotes.append("\(run.name): not priced (\(unpriced.reason))")
                case let .success(profile): costNotes.append("\(run.name): " + assumptions(profile, hour: run.gpuHour))
                }
            }
            if let assumed = run.assumption { costNotes.append("\(run.name): assumed — \(assumed)") }
        }
        return "<h2>Throughput per GPU against interactivity</h2>"
            + SVGChart(id: "chart-throughput", title: "Output tok/s per GPU vs tok/s per user (median)", xLabel: "interactivity (tok/s/user, median)",
                       yLabel: "output tokens/s per GPU", series: throughput,
                       notes: ["one marker per measured point; GPUs per run as declared with bench --gpus"]).render()
            + "<h2>Cost per million tokens against interactivity</h2>"
            + SVGChart(id: "chart-cost", title: "$/Mtok (input + output) vs tok/s per user", xLabel: "interactivity (tok/s/user, median)",
                       yLabel: "$ per million tokens", series: costSeries, notes: costNotes).render()
    }

    /// TTFT and TPOT distributions of every point's measured, successful requests, from the timelines.
    static func latencyCharts(_ runs: [ReportRun]) -> String {
        func cdf(_ values: [Double]) -> [(x: Double, y: Double)] {
            let sorted = values.filter { $0 > 0 }.sorted()
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
        let notes = ttft.isEmpty ? ["no request timelines stored for these runs"] : ["measured requests of each point, successful ones only"]
        return "<h2>Latency distributions</h2>"
            + SVGChart(id: "chart-ttft", title: "TTFT distribution (cumulative)", xLabel: "time to first token (ms, log scale)",
                       yLabel: "fraction of requests", series: ttft, notes: notes, logX: true).render()
            + SVGChart(id: "chart-tpot", title: "TPOT distribution (cumulative)", xLabel: "time per output token (ms, log scale)",
                       yLabel: "fraction of requests", series: tpot, notes: notes, logX: true).render()
    }

    /// Output tokens per second over the whole run, in one-second buckets.
    static func overTimeChart(_ runs: [ReportRun]) -> String {
        var series: [ChartSeries] = []
        for run in runs {
            guard let origin = run.result.points.map(\.window.startNanoseconds).min() else { continue }
            var buckets: [Int: Double] = [:]
            for record in run.requests.values.joined() {
                let tokens = TokenAttribution.tokensPerEvent(record)
                for (i, event) in record.events.enumerated() where i < tokens.count && tokens[i] > 0 && event.timeNanoseconds >= origin {
                    buckets[Int((event.timeNanoseconds - origin) / 1_000_000_000), default: 0] += tokens[i]
                }
            }
            guard let last = buckets.keys.max() else { continue }
            series.append(ChartSeries(name: run.name, points: (0...last).map { (Double($0), buckets[$0] ?? 0) }, markers: false))
        }
        return "<h2>Tokens per second over time</h2>"
            + SVGChart(id: "chart-over-time", title: "Output tokens/s over the run", xLabel: "time since the first point started (s)",
                       yLabel: "output tokens/s (1 s buckets)", series: series,
                       notes: ["all points of a run in order, warm-up and drain included; gaps between points show as dips"]).render()
    }

    /// The server's own queue over each point, from its scraped gauges (nothing when no run scraped them).
    static func serverQueueChart(_ runs: [ReportRun]) -> String {
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
        guard !queue.isEmpty else { return "" }
        return "<h2>Server queue</h2>"
            + SVGChart(id: "chart-server-queue", title: "Requests running and waiting, as the server reported them",
                       xLabel: "time since the point's window started (s)", yLabel: "requests", series: queue,
                       notes: ["from the server's /metrics, scraped during each point"]).render()
    }

    /// What one used GPU-hour costs, part by part, for every priced run.
    static func icebergChart(_ runs: [ReportRun]) -> String {
        var bars: [(name: String, parts: [(String, Double)])] = []
        var notes: [String] = []
        for run in runs {
            guard case let .success(profile) = run.pricing, let hour = run.gpuHour else { continue }
            bars.append((run.name, hour.breakdown.map { ($0.name, $0.usdPerGPUHour) }))
            notes.append("\(run.name): " + assumptions(profile, hour: hour))
        }
        return "<h2>Cost iceberg</h2>"
            + SVGStackedBars(id: "chart-iceberg", title: "What one used GPU-hour costs", xLabel: "$ per used GPU-hour", bars: bars,
                             notes: notes.isEmpty ? ["no run is priced"] : notes).render()
    }

    /// The assumptions behind a profile's costs, in one line: its price per GPU-hour, utilisation and power boundary.
    public static func assumptions(_ profile: CostProfile, hour: GPUHourCost?) -> String {
        var parts = [profile.name]
        if let hour {
            parts.append("$\(Format.number(hour.usdPerUsedGPUHour, 2)) per used GPU-hour")
            parts.append("utilisation \(Format.number(hour.utilisation * 100, 0))%")
        } else {
            parts.append("API prices")
        }
        if let power = profile.power {
            parts.append("power boundary \(power.boundary.rawValue) at \(Format.number(power.kilowattsPerGPU, 2)) kW/GPU")
        } else {
            parts.append("power boundary: none given")
        }
        return parts.joined(separator: ", ")
    }
}
