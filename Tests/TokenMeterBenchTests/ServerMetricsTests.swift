import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterResults
import TokenMeterTelemetry

/// The server's own metrics scraped during a session, and the three-way token count that uses them.
@Suite struct ServerMetricsTests {
    @Test func tokenCountersReconcileWithTheClientAgainstTheReferenceTarget() async throws {
        // 64 requests a point, four times as long as with 16, so that a loaded machine's scraper still lands 50 ms scrapes
        // inside each point's window (with 16, a loaded phase 1 once saw none in the c=8 point).
        let (result, directory) = try await runSession("concurrency: [2, 8]\nrequests: 64\nisl: 32\nosl: 16\nscrape-interval: 50ms")
        defer { try? FileManager.default.removeItem(at: directory) }
        for point in result.points {
            let s = try #require(point.serverMetrics)
            #expect(s.serverGenerationTokens == Double(s.clientOutputTokens))
            #expect(s.serverPromptTokens == Double(s.clientPromptTokens))
            #expect(s.clientOutputTokens == point.metrics.requestsTotal * 16)
            let tokens = try #require(point.tokens)
            #expect(tokens.warnings.isEmpty)
            #expect(tokens.serverOutputTokens == Double(tokens.usageOutputTokens))
            #expect((s.runningMax ?? 0) <= Double(point.concurrency ?? 0))
            #expect(s.scrapes >= 1)
            // The series over the window is kept: one sample per scrape inside it, in order, its counter never going back.
            let series = try #require(s.series)
            #expect(series.count == s.scrapes)
            #expect(zip(series, series.dropFirst()).allSatisfy { $0.seconds <= $1.seconds && ($0.generatedTokens ?? 0) <= ($1.generatedTokens ?? 0) })
            #expect(series.allSatisfy { $0.seconds >= 0 && $0.running != nil })
        }
        let off = try await runSession("concurrency: 1\nrequests: 2\nosl: 4\nscrape-metrics: off")
        defer { try? FileManager.default.removeItem(at: off.1) }
        #expect(off.0.points[0].serverMetrics == nil)
    }

    @Test func discrepanciesAreSaidInWords() throws {
        func scrape(_ t: UInt64, prompt: Double, generated: Double) throws -> MetricsScrape {
            MetricsScrape(timeNanoseconds: t, exposition: try PrometheusExposition(parsing:
                "vllm:prompt_tokens_total \(prompt)\nvllm:generation_tokens_total \(generated)\nvllm:num_requests_running 2"))
        }
        var record = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 100, promptTokensExact: true, maxTokens: 10)
        record.responseHeadNanoseconds = 1
        record.usage = Usage(promptTokens: 100, completionTokens: 10)
        let summary = ServerMetricsSummary(start: try scrape(0, prompt: 1000, generated: 50), end: try scrape(9, prompt: 1060, generated: 60),
                                           samples: [try scrape(5, prompt: 1030, generated: 55)],
                                           window: MeasurementWindow(startNanoseconds: 1, endNanoseconds: 8), records: [record])
        #expect(summary.serverPromptTokens == 60 && summary.serverGenerationTokens == 10)
        #expect(summary.runningMean == 2 && summary.scrapes == 1)
        let tokens = TokenReconciliation(records: [record], localPrompts: false, server: summary)
        #expect(tokens.warnings.count == 1)
        #expect(tokens.warnings[0].contains("prefix-cached"))
    }
}
