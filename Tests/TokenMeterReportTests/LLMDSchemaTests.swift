import Foundation
import Testing
import TokenMeterCore
import TokenMeterReport
import TokenMeterResults

/// The llm-d Benchmark Report tokenmeter writes is valid against the v0.2.1 JSON Schema (written from llm-d-benchmark's
/// field tables, Sources/TokenMeterReport/Resources), and the schema check finds what is wrong in a report that is not.
@Suite struct LLMDSchemaTests {
    static let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TokenMeterCLITests/Fixtures/peers")

    static func reports() throws -> [JSONValue] {
        var result = try RunResult.read(path: peers.appendingPathComponent("tokenmeter-result.json").path)
        result.provenance.runID = "r-test"
        let facts = [DeploymentFacts(), DeploymentFacts(hardware: "h100", framework: "llama.cpp", tensorParallel: 1)]
        return facts.flatMap { f in result.points.map { Exporter.llmdReport(result, point: $0, facts: f) } }
    }

    @Test func everyExportedReportIsValid() throws {
        let check = try JSONSchemaCheck.bundled("llmd-benchmark-report-v0.2.1.schema")
        let reports = try Self.reports()
        #expect(reports.count == 2)
        for report in reports {
            #expect(check.findings(in: report).isEmpty, "\(check.findings(in: report))")
            #expect(report["results"]?["request_performance"]?["aggregate"]?["latency"]?["time_to_first_token"]?["units"] == .string("ms"))
            #expect(report["results"]?["request_performance"]?["aggregate"]?["throughput"]?["output_token_rate"]?["units"] == .string("tokens/s"))
        }
        // With the hardware known the stack is an inference engine with its accelerator; without, a generic component.
        #expect(reports[1]["scenario"]?["stack"]?[0]?["standardized"]?["kind"] == .string("inference_engine"))
        #expect(reports[0]["scenario"]?["stack"]?[0]?["standardized"]?["kind"] == .string("generic"))
    }

    /// Each kind of mistake is found, at its path: a missing required field, a unit outside the enum, a field the schema
    /// does not have, a wrong type, a value below its minimum, and a stack component that fits neither kind.
    @Test func theCheckFindsWhatIsWrong() throws {
        let check = try JSONSchemaCheck.bundled("llmd-benchmark-report-v0.2.1.schema")
        let valid = try Self.reports()[1].serialized
        let cases: [(String, String, String)] = [
            (#""units":"ms","mean""#, #""mean""#, "results.request_performance.aggregate.latency.time_to_first_token.units"),
            (#""units":"tokens/s""#, #""units":"tok/s""#, "results.request_performance.aggregate.throughput.input_token_rate.units"),
            (#""requests":{"#, #""requests":{"goodput":1,"#, "results.request_performance.aggregate.requests.goodput"),
            (#""total":"#, #""total":"many","_":"#, "results.request_performance.aggregate.requests.total"),
            (#""count":1"#, #""count":-1"#, "scenario.stack[0].standardized"),
            (#""role":"replica""#, #""role":"leader""#, "scenario.stack[0].standardized"),
        ]
        for (from, to, path) in cases {
            let broken = valid.replacingOccurrences(of: from, with: to)
            #expect(broken != valid, "\(from) is not in the report")
            let findings = check.findings(in: try JSONValue.parse(Array(broken.utf8)))
            #expect(findings.contains { $0.path.hasPrefix(path) }, "\(to): \(findings)")
        }
        let unknown = check.findings(in: try JSONValue.parse(Array(valid.replacingOccurrences(of: #""requests":{"#, with: #""requests":{"goodput":1,"#).utf8)))
        #expect(unknown.map(\.unknownField) == [true])
    }
}
