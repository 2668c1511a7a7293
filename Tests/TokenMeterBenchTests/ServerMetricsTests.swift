import Foundation
import PropertyBased
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterResults

@Suite struct PrometheusTextTests {
    @Test func parsesTypesLabelsEscapesSpecialValuesAndTimestamps() throws {
        let e = try PrometheusExposition(parsing: """
            # HELP vllm:num_requests_running Number of requests in model execution batches.
            # TYPE vllm:num_requests_running gauge
            vllm:num_requests_running{model_name="m",engine="0"} 3
            vllm:num_requests_running{model_name="m",engine="1"} 4.5
            # TYPE http_latency histogram
            http_latency_bucket{le="0.1"} 2
            http_latency_bucket{le="+Inf"} 5
            http_latency_sum 1.25e0
            http_latency_count 5 1700000000000
            weird{path="a\\"b\\\\c\\nd"} NaN
            inf_metric -Inf\r
            # a free comment

            """)
        #expect(e.types == ["vllm:num_requests_running": "gauge", "http_latency": "histogram"])
        #expect(e.total("vllm:num_requests_running") == 7.5)
        #expect(e.samples.first { $0.name == "http_latency_bucket" && $0.labels["le"] == "+Inf" }?.value == 5)
        #expect(e.samples.first { $0.name == "http_latency_count" }?.timestampMilliseconds == 1_700_000_000_000)
        #expect(e.samples.first { $0.name == "weird" }?.labels["path"] == "a\"b\\c\nd")
        #expect(e.samples.first { $0.name == "weird" }?.value.isNaN == true)
        #expect(e.total("inf_metric") == -.infinity)
        #expect(e.total("absent") == nil)
    }

    @Test(arguments: [("a{b=\"c\" 1", 1), ("ok 1\nbad value", 2), ("x{y=z} 1", 1), ("# TYPE x bogus", 1), ("x 1 notatime", 1), ("{} 1", 1)])
    func badLinesAreErrorsWithTheirLineNumber(_ text: String, _ line: Int) throws {
        let error = try #require(throws: PrometheusParseError.self) { try PrometheusExposition(parsing: text) }
        #expect(error.line == line)
    }

    @Test func arbitraryBytesNeverCrashTheParser() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...127).array(of: 0...200)) { ints in
            _ = try? PrometheusExposition(parsing: String(decoding: ints.map { UInt8($0) }, as: UTF8.self))
        }
    }
}

@Suite struct ServerMetricsTests {
    @Test func tokenCountersReconcileWithTheClientAgainstTheReferenceTarget() async throws {
        let (result, directory) = try await runSession("concurrency: [2, 8]\nrequests: 16\nisl: 32\nosl: 16\nscrape-interval: 50ms")
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
