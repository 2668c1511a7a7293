import Testing
import TokenMeterCore

@Suite struct ParetoFrontTests {
    @Test func keepsOnlyNonDominatedPoints() {
        let front = ParetoFront([
            FrontPoint(interactivity: 10, throughputPerGPU: 1000, label: "a"),
            FrontPoint(interactivity: 20, throughputPerGPU: 800, label: "b"),
            FrontPoint(interactivity: 15, throughputPerGPU: 700, label: "dominated by b"),
            FrontPoint(interactivity: 40, throughputPerGPU: 300, label: "c"),
            FrontPoint(interactivity: 5, throughputPerGPU: 900, label: "dominated by a"),
            FrontPoint(interactivity: 0, throughputPerGPU: 5000, label: "no interactivity"),
        ])
        #expect(front.points.map(\.label) == ["a", "b", "c"])
        #expect(front.interactivityRange == 10...40)
    }

    @Test func interpolationHitsKnotsAndNeverExtrapolates() throws {
        let front = ParetoFront([FrontPoint(interactivity: 10, throughputPerGPU: 1000), FrontPoint(interactivity: 20, throughputPerGPU: 800),
                                 FrontPoint(interactivity: 40, throughputPerGPU: 300)])
        #expect(front.throughput(atInteractivity: 20) == 800)
        #expect(abs(try #require(front.throughput(atInteractivity: 40)) - 300) < 1e-9)
        #expect(front.throughput(atInteractivity: 9.99) == nil)
        #expect(front.throughput(atInteractivity: 40.01) == nil)
        let mid = try #require(front.throughput(atInteractivity: 30))
        #expect(mid < 800 && mid > 300)
    }

    @Test func steffenSplineIsMonotoneWithoutOvershoot() throws {
        // Data with a flat stretch and a sharp drop: a natural cubic spline would overshoot here.
        let x: [Double] = [1, 2, 3, 4, 5, 6]
        let y: [Double] = [100, 100, 100, 40, 39, 38]
        let spline = try #require(SteffenSpline(x: x, y: y))
        var previous = Double.infinity
        for i in 0...500 {
            let t = 1 + Double(i) * 5 / 500
            let v = try #require(spline.value(at: t))
            #expect(v <= previous + 1e-9, "not monotone at \(t)")
            #expect(v <= 100 + 1e-9 && v >= 38 - 1e-9, "overshoot at \(t): \(v)")
            previous = v
        }
        #expect(SteffenSpline(x: [1, 1], y: [1, 2]) == nil)
        #expect(SteffenSpline(x: [1], y: [1]) == nil)
    }

    @Test func confidenceIntervalUsesStudentT() throws {
        let ci = try #require(ConfidenceInterval(samples: [10, 12, 11, 9, 13]))
        #expect(ci.mean == 11)
        // sd = 1.5811, se = 0.7071, t(4) = 2.776
        #expect(abs(ci.halfWidth - 2.776 * 0.70710678) < 1e-3)
        #expect(ConfidenceInterval(samples: [1]) == nil)
        #expect(ConfidenceInterval.t975(degreesOfFreedom: 1000) == 1.96)
    }
}
