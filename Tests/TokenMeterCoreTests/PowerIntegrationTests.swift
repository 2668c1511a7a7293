import Testing
import TokenMeterCore

@Suite struct PowerIntegrationTests {
    func series(_ gpu: String, _ points: [(Double, Double)]) -> [PowerSample] {
        points.map { PowerSample(timeNanoseconds: UInt64($0.0 * 1e9), gpu: gpu, watts: $0.1) }
    }

    @Test func trapezoidOverTheWindowWithInterpolatedEdges() {
        // 100 W rising linearly to 300 W over 0…4 s; the window 1…3 s sees 150 → 250 W: 400 J.
        let samples = series("0", [(0, 100), (2, 200), (4, 300)])
        let e = EnergyMeasurement(samples: samples, window: MeasurementWindow(startNanoseconds: 1_000_000_000, endNanoseconds: 3_000_000_000),
                                  expectedGPUs: 1, source: "test")
        #expect(abs(e.joules - 400) < 1e-9)
        #expect(abs(e.meanWatts - 200) < 1e-9)
        #expect(e.valid && e.problems.isEmpty)
        #expect(e.boundary.rawValue == "gpu-board-measured")
        #expect(abs((e.joulesPerToken(tokensPerSecond: 1000) ?? 0) - 0.2) < 1e-12)
    }

    @Test func severalGPUsAddUp() {
        let samples = series("0", (0...10).map { (Double($0), 300) }) + series("1", (0...10).map { (Double($0), 500) })
        let e = EnergyMeasurement(samples: samples, window: MeasurementWindow(startNanoseconds: 2_000_000_000, endNanoseconds: 6_000_000_000),
                                  expectedGPUs: 2, source: "test")
        #expect(abs(e.joules - 3200) < 1e-9)
        #expect(e.meanWattsPerGPU == 400)
        #expect(e.valid)
    }

    @Test func checksFailLoudly() {
        let window = MeasurementWindow(startNanoseconds: 1_000_000_000, endNanoseconds: 9_000_000_000)
        let short = EnergyMeasurement(samples: series("0", [(2, 100), (9.5, 100)]), window: window, expectedGPUs: 1, source: "t")
        #expect(!short.valid)
        #expect(short.problems.contains { $0.contains("do not cover") })
        let gappy = EnergyMeasurement(samples: series("0", [(0, 100), (5, 100), (10, 100)]), window: window, expectedGPUs: 1, source: "t")
        #expect(gappy.problems.contains { $0.contains("gap of 5.0 s") })
        let missing = EnergyMeasurement(samples: series("0", [(0, 100), (1, 100), (2, 100), (3, 100), (4, 100), (5, 100), (6, 100), (7, 100), (8, 100), (9, 100), (10, 100)]),
                                        window: window, expectedGPUs: 8, source: "t")
        #expect(missing.problems == ["1 GPUs reported power, 8 expected"])
    }

    @Test func energyCountersGiveTheEnergyAndFallBackToTheIntegralWhenTheyCannot() {
        let window = MeasurementWindow(startNanoseconds: 1_000_000_000, endNanoseconds: 9_000_000_000)
        let power = series("0", (0...10).map { (Double($0), 500) })
        func counter(_ points: [(Double, Double)]) -> [EnergyCounterSample] {
            points.map { EnergyCounterSample(timeNanoseconds: UInt64($0.0 * 1e9), gpu: "0", joules: $0.1) }
        }
        // 480 W by the counter (readings every 2 s, interpolated at 1 s and 9 s): 3840 J; the integral says 4000 J.
        let good = EnergyMeasurement(samples: power, counters: counter((0...5).map { (Double($0 * 2), 10_000 + 960 * Double($0)) }), window: window,
                                     expectedGPUs: 1, source: "dcgm")
        #expect(good.method == "energy counter" && good.valid)
        #expect(abs(good.joules - 3840) < 1e-6 && abs((good.counterJoules ?? 0) - 3840) < 1e-6)
        #expect(abs((good.integratedJoules ?? 0) - 4000) < 1e-6 && abs(good.meanWatts - 480) < 1e-6)
        #expect(good.problems.isEmpty)
        // A counter reset inside the window: the integral is used, and the reason given.
        let reset = EnergyMeasurement(samples: power, counters: counter([(0, 10_000), (2, 100), (4, 1_000), (6, 1_900), (8, 2_800), (10, 3_700)]), window: window,
                                      expectedGPUs: 1, source: "dcgm")
        #expect(reset.method == "trapezoid" && abs(reset.joules - 4000) < 1e-6 && reset.counterJoules == nil)
        #expect(reset.problems.contains { $0.contains("went backwards") })
        // Counters that disagree with the power samples by more than 10% are said so.
        let off = EnergyMeasurement(samples: power, counters: counter((0...5).map { (Double($0 * 2), 600 * Double($0)) }), window: window, expectedGPUs: 1, source: "dcgm")
        #expect(off.method == "energy counter" && off.problems.contains { $0.contains("differ by more than 10%") })
        // Counters that stop before the window ends.
        let short = EnergyMeasurement(samples: power, counters: counter([(0, 0), (2, 1_000), (4, 2_000)]), window: window, expectedGPUs: 1, source: "dcgm")
        #expect(short.method == "trapezoid" && short.problems.contains { $0.contains("do not cover") })
    }
}
