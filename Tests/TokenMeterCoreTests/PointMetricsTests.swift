import Testing
import TokenMeterCore

/// Builds a streamed record with events at the given ms offsets after a send at `sendMs`.
func record(id: Int, phase: RequestPhase = .measured, schedMs: Double, sendMs: Double, eventMs: [Double], usage: Usage? = nil,
            tokens: [Int?]? = nil, failure: RequestFailure? = nil, maxTokens: Int? = nil, reasoningFirst: Int = 0) -> RequestRecord {
    func ns(_ ms: Double) -> UInt64 { UInt64(ms * 1e6) }
    var r = RequestRecord(id: id, phase: phase, scheduledNanoseconds: ns(schedMs), promptTokensPlanned: 100, promptTokensExact: true,
                          maxTokens: maxTokens ?? eventMs.count)
    r.sentNanoseconds = ns(sendMs)
    r.events = eventMs.enumerated().map { i, t in
        StreamEvent(timeNanoseconds: ns(t), readIndex: i, content: i < reasoningFirst ? "" : " w", reasoning: i < reasoningFirst ? " r" : "",
                    tokens: tokens?[i] ?? nil)
    }
    r.completedNanoseconds = ns((eventMs.last ?? sendMs) + 1)
    r.usage = usage
    r.failure = failure
    return r
}

@Suite struct PointMetricsTests {
    @Test func latencyDefinitionsFollowDesign() throws {
        // Send at 10 ms; tokens at 110, 120, 130, 150 ms → TTFT 100, E2E 140, TPOT (140-100)/3.
        let r = record(id: 0, schedMs: 9, sendMs: 10, eventMs: [110, 120, 130, 150], usage: Usage(promptTokens: 100, completionTokens: 4))
        let latency = try #require(RequestLatency(r))
        #expect(abs(latency.ttftMs - 100) < 1e-9)
        #expect(abs(latency.e2eMs - 140) < 1e-9)
        #expect(abs(try #require(latency.tpotMs) - 40.0 / 3) < 1e-9)
        #expect(latency.chunkGapsMs.map { $0.rounded() } == [10, 10, 20])
        #expect(latency.itlMs.map { $0.rounded() } == [10, 10, 20])
    }

    @Test func itlDividesGapsByTokenDeltas() throws {
        // Second event carried 3 tokens (server delta), third 1.
        let r = record(id: 0, schedMs: 0, sendMs: 0, eventMs: [50, 80, 90], usage: Usage(promptTokens: 10, completionTokens: 5),
                       tokens: [1, 3, 1])
        let latency = try #require(RequestLatency(r))
        #expect(latency.chunkGapsMs.map { $0.rounded() } == [30, 10])
        #expect(latency.itlMs.map { $0.rounded() } == [10, 10])
        #expect(abs(try #require(latency.tpotMs) - 10) < 1e-9)  // (90-50)/(5-1)
    }

    @Test func ttfoSkipsReasoningTokens() throws {
        let r = record(id: 0, schedMs: 0, sendMs: 0, eventMs: [20, 30, 40], reasoningFirst: 2)
        let latency = try #require(RequestLatency(r))
        #expect(abs(latency.ttftMs - 20) < 1e-9)
        #expect(abs(try #require(latency.ttfoMs) - 40) < 1e-9)
    }

    @Test func nonStreamedResponsesHaveNoTPOT() throws {
        var r = record(id: 0, schedMs: 0, sendMs: 0, eventMs: [500], usage: Usage(promptTokens: 10, completionTokens: 50))
        r.streamed = false
        let latency = try #require(RequestLatency(r))
        #expect(latency.tpotMs == nil)
        #expect(abs(latency.e2eMs - 500) < 1e-9)
    }

    @Test func throughputCountsTokensInsideTheWindowOnly() {
        // Two requests of 4 tokens each; the window cuts the last token of the second.
        let a = record(id: 0, schedMs: 0, sendMs: 0, eventMs: [100, 200, 300, 400], usage: Usage(promptTokens: 100, completionTokens: 4))
        let b = record(id: 1, schedMs: 0, sendMs: 0, eventMs: [500, 600, 700, 1100], usage: Usage(promptTokens: 100, completionTokens: 4))
        let window = MeasurementWindow(startNanoseconds: 0, endNanoseconds: 1_000_000_000)
        let m = PointMetrics.compute(records: [a, b], window: window, gpus: 2)
        #expect(abs(m.outputTokensPerSecond - 7) < 1e-9)
        #expect(abs(m.inputTokensPerSecond - 200) < 1e-9)
        #expect(abs(m.totalTokensPerSecond - 207) < 1e-9)
        #expect(abs(m.outputTokensPerSecondPerGPU - 3.5) < 1e-9)
        #expect(abs(m.requestsPerSecond - 1) < 1e-9)  // only `a` completed inside
        #expect(m.windowSeconds == 1)
    }

    @Test func windowSlicesAverageToTheWindowThroughput() throws {
        let a = record(id: 0, schedMs: 0, sendMs: 0, eventMs: [100, 300, 500, 700, 900], usage: Usage(promptTokens: 10, completionTokens: 5))
        let m = PointMetrics.compute(records: [a], window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 1_000_000_000))
        let slices = try #require(m.outputTokensPerSecondSlices)
        #expect(slices == [5, 5, 5, 5, 5])  // one token in each 200 ms slice
        #expect(abs(slices.reduce(0, +) / Double(slices.count) - m.outputTokensPerSecond) < 1e-9)
        #expect(m.totalTokensPerSecondSlices == [55, 5, 5, 5, 5])  // prompt tokens land with the first token
    }

    @Test func warmupIsExcludedFromLatencyButFailuresAreCounted() {
        let warm = record(id: 0, phase: .warmup, schedMs: 0, sendMs: 0, eventMs: [1000, 1010])
        let ok = record(id: 1, schedMs: 0, sendMs: 1, eventMs: [101, 111])
        let bad = record(id: 2, schedMs: 0, sendMs: 2, eventMs: [50], failure: RequestFailure(kind: .reset, message: "x"))
        let m = PointMetrics.compute(records: [warm, ok, bad], window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 2_000_000_000))
        #expect(m.requestsTotal == 3 && m.requestsMeasured == 2)
        #expect(m.requestsSucceeded == 1 && m.requestsFailed == 1)
        #expect(m.errorsByKind == ["reset": 1])
        #expect(m.ttftMs?.count == 1)
        #expect(abs((m.ttftMs?.p50 ?? 0) - 100) < 1e-9)
        #expect(m.failedRequestOutputTokens == 1)
        #expect(m.queueMs?.max == 2)
    }

    @Test func clientCancelledTokensAreDeliveredButServerFailuresAreNot() {
        let cancelled = record(id: 0, schedMs: 0, sendMs: 0, eventMs: [100, 200], failure: RequestFailure(kind: .cancelled, message: "drain"))
        let reset = record(id: 1, schedMs: 0, sendMs: 0, eventMs: [100, 200, 300], failure: RequestFailure(kind: .reset, message: "x"))
        let m = PointMetrics.compute(records: [cancelled, reset], window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 1_000_000_000))
        #expect(m.outputTokensPerSecond == 2)
        #expect(m.failedRequestOutputTokens == 3)
        #expect(m.requestsFailed == 2)
        #expect(m.errorsByKind == ["cancelled": 1, "reset": 1])
    }

    @Test func goodputCountsRequestsThatMeetEveryBound() throws {
        let fast = record(id: 0, schedMs: 0, sendMs: 0, eventMs: [100, 110, 120])  // TTFT 100, TPOT 10
        let slowStart = record(id: 1, schedMs: 0, sendMs: 0, eventMs: [900, 910, 920])  // TTFT 900
        let slowDecode = record(id: 2, schedMs: 0, sendMs: 0, eventMs: [100, 300, 500])  // TPOT 200
        let slo = try ServiceLevelObjective(parsing: "ttft_p99=500ms,tpot_p99=50ms")
        let m = PointMetrics.compute(records: [fast, slowStart, slowDecode],
                                     window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 1_000_000_000), objective: slo)
        let g = try #require(m.goodput)
        #expect(g.goodRequests == 1)
        #expect(abs(g.goodOutputTokensPerSecond - 3) < 1e-9)
        #expect(!g.passed)
        #expect(g.violations.count == 2)
    }

    @Test func interactivityIsInverseTPOT() throws {
        let rs = (0..<5).map { i in record(id: i, schedMs: 0, sendMs: 0, eventMs: (0..<11).map { 100 + Double($0) * 20 }) }
        let m = PointMetrics.compute(records: rs, window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 1_000_000_000))
        #expect(abs(try #require(m.interactivityMedian) - 50) < 1e-6)
        #expect(abs(m.meanConcurrency - 0.301 * 5) < 1e-3)
    }

    @Test func shortOutputsAndMissingUsageAreReported() {
        let short = record(id: 0, schedMs: 0, sendMs: 0, eventMs: [10, 20], maxTokens: 8)
        let m = PointMetrics.compute(records: [short], window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 100_000_000))
        #expect(m.shortOutputRequests == 1)
        #expect(m.requestsWithoutUsage == 1)
        #expect(m.meanOutputTokens == 2)
        #expect(m.meanRequestedOutputTokens == 8)
    }

    @Test func coalescedEventsAreVisible() {
        var r = record(id: 0, schedMs: 0, sendMs: 0, eventMs: [10, 10, 20, 30])
        r.events[1].readIndex = r.events[0].readIndex
        let m = PointMetrics.compute(records: [r], window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 100_000_000))
        #expect(m.coalescedEventFraction == 0.25)
    }
}
