import Foundation
import PropertyBased
import Testing
import TokenMeterCore
import TokenMeterResults
import TokenMeterTelemetry

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
