import Testing
import TokenMeterCore
import TokenMeterReport

@Suite struct TerminalTableTests {
    @Test func numbersHaveFixedDecimalsAndThousandsSeparators() {
        #expect(Format.number(1234567.891, 1) == "1,234,567.9")
        #expect(Format.number(0.05, 2) == "0.05")
        #expect(Format.number(999.96, 1) == "1,000.0")
        #expect(Format.number(-12.5, 0) == "-13")
        #expect(Format.number(.nan, 1) == "-")
        #expect(Format.number(42, 0) == "42")
    }

    @Test func tableAlignsColumnsAndShowsGoodputOnlyWhenPresent() throws {
        func metrics(_ ttfts: [Double], goodput: Bool) -> PointMetrics {
            var records: [RequestRecord] = []
            for (i, t) in ttfts.enumerated() {
                var r = RequestRecord(id: i, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 10, promptTokensExact: true, maxTokens: 2)
                r.sentNanoseconds = 0
                r.events = [StreamEvent(timeNanoseconds: UInt64(t * 1e6), readIndex: 0, content: "a"),
                            StreamEvent(timeNanoseconds: UInt64((t + 10) * 1e6), readIndex: 1, content: "b")]
                r.completedNanoseconds = UInt64((t + 11) * 1e6)
                r.usage = Usage(promptTokens: 10, completionTokens: 2)
                records.append(r)
            }
            let objective = goodput ? try? ServiceLevelObjective(parsing: "ttft_p99=1s") : nil
            return PointMetrics.compute(records: records, window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 1_000_000_000),
                                        objective: objective)
        }
        let plain = TerminalTable.render(points: [("c=1", metrics([100, 200], goodput: false)), ("c=16", metrics([300], goodput: false))])
        let lines = plain.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("point"))
        #expect(lines[1].allSatisfy { $0 == "-" || $0 == " " })
        #expect(Set(lines.map(\.count)).count == 1)  // every row as wide as the header
        #expect(!plain.contains("goodput"))
        #expect(lines[2].contains("150.0 / 199.0"))  // TTFT p50 / p99 of 100 and 200 ms
        let withSLO = TerminalTable.render(points: [("c=1", metrics([100], goodput: true))])
        #expect(withSLO.contains("goodput req/s (SLO)"))
        #expect(withSLO.contains("(pass)"))
    }
}
