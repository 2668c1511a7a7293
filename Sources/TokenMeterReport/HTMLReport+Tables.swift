import TokenMeterCore
import TokenMeterResults

extension HTMLReport {
    /// What the server's gauges and the GPUs' power said about each point.
    static func telemetryTable(_ runs: [ReportRun]) -> String {
        let e = HTMLPage.escape
        var rows: [(cells: [String], attributes: String)] = []
        for run in runs {
            for point in run.result.points {
                let s = point.serverMetrics
                let energy = point.energy.map { "\(Format.number($0.joulesPerToken, 3)) (\(e($0.measurement.method ?? "trapezoid")))" } ?? "-"
                rows.append(([
                    "\(e(run.name)) · \(e(point.label))", "\(Format.number(s?.runningMean, 1)) / \(Format.number(s?.runningMax, 1))",
                    Format.number(s?.waitingMax, 1), Format.number(s?.kvCacheUsageMax.map { $0 * 100 }, 1),
                    Format.number(s?.prefixCacheHitRate.map { $0 * 100 }, 1), Format.number(s?.specDecodeAcceptance.map { $0 * 100 }, 1),
                    "\(Format.count(s?.serverGenerationTokens)) / \(s.map { String($0.clientOutputTokens) } ?? "-")", energy,
                ], ""))
            }
        }
        return "<h2>Server and GPU telemetry</h2>"
            + HTMLPage.table(id: "telemetry", header: ["run · point", "running mean/max", "waiting max", "KV cache max %", "prefix hit %",
                                                       "spec accept %", "server / client output tokens", "J/token"], rows: rows)
    }

    /// Tokens counted three ways: usage, the local tokenizer, the server's counters.
    static func tokenTable(_ runs: [ReportRun]) -> String {
        let e = HTMLPage.escape
        func count(_ v: Int?) -> String { v.map(String.init) ?? "-" }
        var rows: [(cells: [String], attributes: String)] = []
        for run in runs {
            for point in run.result.points {
                guard let t = point.tokens else { continue }
                rows.append(([
                    "\(e(run.name)) · \(e(point.label))", String(t.requests),
                    "\(t.usageOutputTokens) / \(count(t.localOutputTokens)) / \(Format.count(t.serverOutputTokens))",
                    "\(t.usagePromptTokens) / \(count(t.localPromptTokens)) / \(Format.count(t.serverPromptTokens))",
                    count(t.promptOffsetPerRequest), "\(t.outputMismatches), \(t.promptMismatches)", String(t.cachedPromptTokens),
                    String(t.usageRepeatedRequests),
                ], ""))
            }
        }
        return "<h2>Token counts</h2>"
            + HTMLPage.table(id: "tokens", header: ["run · point", "requests", "output: usage / local / server", "prompt: usage / local / server",
                                                    "prompt offset per request", "requests that differ (output, prompt)", "cached prompt tokens",
                                                    "usage in every chunk"], rows: rows)
    }

    /// Every warning of every run and point.
    /// For each run read from another tool's file: the tool, the files, how its metric names map onto tokenmeter's, and what
    /// it did not provide (shown as "-" everywhere else, never as zero).
    static func importedSection(_ runs: [ReportRun]) -> String {
        let e = HTMLPage.escape
        let imported = runs.compactMap { run in run.result.provenance.imported.map { (run, $0) } }
        guard !imported.isEmpty else { return "" }
        return "<h2>Imported results</h2>" + imported.map { run, source in
            let rows = source.mapping.map { m in ([m.tokenmeter, m.tool, m.note ?? ""].map(e), "") }
            return "<h3>\(e(run.name)): \(e(source.summary))</h3>"
                + HTMLPage.table(id: "mapping-\(e(run.id))", header: ["tokenmeter metric", "\(source.tool) field", "note"], rows: rows)
                + "<p class=\"note\">Not provided by \(e(source.tool)): \(e(source.notProvided.joined(separator: ", ")))</p>"
        }.joined()
    }

    static func warningsList(_ runs: [ReportRun]) -> String {
        let warnings = runs.flatMap { run in
            run.result.warnings.map { "\(run.name): \($0)" } + run.result.points.flatMap { p in p.warnings.map { "\(run.name) · \(p.label): \($0)" } }
        }
        guard !warnings.isEmpty else { return "" }
        return "<h2>Warnings</h2><ul id=\"warnings\">" + warnings.map { "<li>\(HTMLPage.escape($0))</li>" }.joined() + "</ul>"
    }
}
