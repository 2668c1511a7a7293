import Testing
import TokenMeterCore

@Suite struct DistributionTests {
    @Test func percentilesInterpolateLinearlyLikeNumPy() throws {
        let d = try #require(Distribution([4, 1, 3, 2]))
        #expect(d.count == 4)
        #expect(d.min == 1 && d.max == 4)
        #expect(d.mean == 2.5)
        #expect(d.p50 == 2.5)
        #expect(abs(d.p90 - 3.7) < 1e-12)
        #expect(abs(d.p99 - 3.97) < 1e-12)
    }

    @Test func singleValueAndEmpty() throws {
        let d = try #require(Distribution([7]))
        #expect(d.p50 == 7 && d.p99 == 7)
        #expect(Distribution([]) == nil)
    }

    @Test func namedPercentiles() throws {
        let d = try #require(Distribution((1...100).map(Double.init)))
        #expect(d.value(atPercentile: 50) == d.p50)
        #expect(d.value(atPercentile: 99) == d.p99)
        #expect(d.value(atPercentile: 75) == nil)
    }
}

@Suite struct ServiceLevelTests {
    @Test func parsesBoundsWithUnitsAndDefaultPercentile() throws {
        let slo = try ServiceLevelObjective(parsing: "ttft_p99=2s, tpot_p90=80ms,e2e=1.5m")
        #expect(slo.bounds == [
            SLOBound(metric: .ttft, percentile: 99, limitMilliseconds: 2000),
            SLOBound(metric: .tpot, percentile: 90, limitMilliseconds: 80),
            SLOBound(metric: .e2e, percentile: 99, limitMilliseconds: 90_000),
        ])
        #expect(slo.description == "ttft_p99=2s,tpot_p90=80ms,e2e_p99=90s")
    }

    @Test(arguments: ["", "ttft", "latency_p99=2s", "ttft_p75=2s", "ttft_p99=fast", "ttft_p99_x=2s", "tpot_p99=-3ms"])
    func rejectsBadObjectives(_ text: String) {
        #expect(throws: ConfigError.self) { try ServiceLevelObjective(parsing: text) }
    }

    @Test func mlperfPresetsMatchReference() throws {
        let preset = try #require(ServiceLevelObjective.presets["mlperf-llama2-70b-interactive"])
        #expect(preset.bounds.map(\.limitMilliseconds) == [450, 40])
        #expect(ServiceLevelObjective.presets.count == 8)
        #expect(try ServiceLevelObjective(presetOrSpec: "MLPerf-Llama2-70B-Interactive") == preset)
        #expect(try ServiceLevelObjective(presetOrSpec: "ttft_p99=1s").bounds.count == 1)
    }

    @Test func durations() throws {
        #expect(try DurationText.milliseconds("250us", field: "x") == 0.25)
        #expect(try DurationText.milliseconds("2", field: "x") == 2000)
        #expect(try DurationText.milliseconds("2", field: "x", bareUnitMilliseconds: true) == 2)
        #expect(try DurationText.milliseconds("1.5h", field: "x") == 5_400_000)
        #expect(throws: ConfigError.self) { try DurationText.milliseconds("soon", field: "x") }
        #expect(throws: ConfigError.self) { try DurationText.milliseconds("-1s", field: "x") }
    }
}
