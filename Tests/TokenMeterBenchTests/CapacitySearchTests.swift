import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterModel
import TokenMeterResults
import TokenMeterTarget

/// The search as a value: doubling, then bisecting, and its stopping rules.
@Suite struct CapacitySearchTests {
    /// Runs a search against a capacity: loads at or under it pass.
    func searched(capacity: Double, axis: CapacitySearch.Axis = .concurrency, start: Double = 1, maxProbes: Int = 20) -> CapacitySearch {
        var search = CapacitySearch(axis: axis, start: start, tolerance: 0.1, maxProbes: maxProbes)
        while let mode = search.next() {
            let load: Double = switch mode {
            case let .concurrency(c): Double(c)
            case let .rate(r, _, _, _): r
            default: 0
            }
            search.record(passed: load <= capacity)
        }
        return search
    }

    @Test func concurrencyDoublesThenBisects() {
        let s = searched(capacity: 20)
        #expect(s.probes == [1, 2, 4, 8, 16, 32, 24, 20, 22])
        #expect(s.passing == 20 && s.failing == 22, "20 and 22 are within 10% of each other: the search stops")
        #expect(s.stopReason == "bracketed between c=20 (met) and c=22 (missed)")
    }

    @Test func rateStopsWithinTheTolerance() {
        let s = searched(capacity: 37.5, axis: .rate(.poisson, burstiness: 1, maxConcurrency: nil), start: 5)
        let (p, f) = (s.passing!, s.failing!)
        #expect(p <= 37.5 && f > 37.5 && (f - p) <= 0.1 * p)
    }

    /// A probe whose every bound holds still misses when its queue keeps growing: the load is not sustainable.
    @Test func aQueueThatKeepsGrowingIsSaturation() throws {
        func point(lags: [UInt64]) throws -> (PointResult, [RequestRecord]) {
            var records: [RequestRecord] = []
            for (i, lag) in lags.enumerated() {
                let scheduled = UInt64(i) * 100_000_000
                var r = RequestRecord(id: i, phase: .measured, scheduledNanoseconds: scheduled, promptTokensPlanned: 10, promptTokensExact: true, maxTokens: 2)
                r.sentNanoseconds = scheduled + lag
                r.completedNanoseconds = scheduled + lag + 20_000_000
                r.events = [StreamEvent(timeNanoseconds: scheduled + lag + 10_000_000, readIndex: 0, content: "a"),
                            StreamEvent(timeNanoseconds: scheduled + lag + 20_000_000, readIndex: 1, content: "b")]
                r.usage = Usage(promptTokens: 10, completionTokens: 2)
                records.append(r)
            }
            let window = MeasurementWindow(startNanoseconds: 0, endNanoseconds: 2_000_000_000)
            let metrics = PointMetrics.compute(records: records, window: window, objective: try ServiceLevelObjective(parsing: "ttft_p99=10s"))
            return (PointResult(index: 0, label: "rate=10/s", concurrency: nil, rate: 10, arrival: .poisson, maxConcurrency: 4, window: window,
                                metrics: metrics, partial: false, stoppedBy: "", warnings: []), records)
        }
        let (growing, growingRecords) = try point(lags: (0..<12).map { UInt64($0) * 40_000_000 })
        let verdict = CapacitySearch.verdict(growing, records: growingRecords)
        #expect(!verdict.passed && verdict.why.hasPrefix("saturated: queue time p50 rose"), "\(verdict.why)")
        let (steady, steadyRecords) = try point(lags: Array(repeating: 1_000_000, count: 12))
        #expect(CapacitySearch.verdict(steady, records: steadyRecords) == (true, "met every bound"))
    }

    @Test func edges() {
        let none = searched(capacity: 0.5)
        #expect(none.passing == nil && none.stopReason == "no load met the objective")
        let high = searched(capacity: 10, start: 16)
        #expect(high.probes.first == 16 && (9...10).contains(high.passing ?? 0), "a first probe that misses halves: \(high.probes)")
        let capped = searched(capacity: 1e9, maxProbes: 5)
        #expect(capped.probes == [1, 2, 4, 8, 16] && capped.stopReason == "stopped after 5 probes")
    }
}

/// `bench --find-max` on a target whose capacity is known: each step takes 10 ms plus 2 ms per running sequence, so TPOT
/// at concurrency c is about 10 + 2c ms, and a TPOT bound of 50 ms holds up to c = 20. Timing-sensitive: runs apart.
@Suite(.serialized) struct LoadSensitiveCapacitySearch {
    @Test func theSearchLandsWithinTenPercentOfTheKnownCapacity() async throws {
        let configuration = TargetConfiguration(timing: ParametricStepTime(fixedMilliseconds: 10, perSequenceMilliseconds: 2))
        let (result, _, _) = try await runAgainstLoggingTarget("""
            find-max: true
            slo: tpot_p90=50ms
            requests: 40
            isl: 16
            osl: 8
            gpu: h100
            """, configuration: configuration)
        let search = try #require(result.search)
        let best = try #require(search.bestPoint.flatMap { i in result.points.first { $0.index == i } })
        let c = try #require(best.concurrency)
        #expect((18...22).contains(c), "found c=\(c); the bound holds up to c=20 (\(search.probes.map { "\($0.load) \($0.passed) \($0.why)" }))")
        #expect(result.points.count == search.probes.count, "every probe is kept as a point")
        #expect(best.price?.source == "h100-hyperscaler" && (best.price?.usdPerMtokBlended ?? 0) > 0)
        #expect(search.probes.filter { !$0.passed }.allSatisfy { $0.why.contains("tpot_p90") })
    }
}
