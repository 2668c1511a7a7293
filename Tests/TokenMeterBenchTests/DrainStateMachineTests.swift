import Testing
@testable import TokenMeterBench

/// What a point does with its requests in flight once it stops sending.
@Suite struct DrainStateMachineTests {
    @Test func waitsUpToTheTimeoutThenCancels() {
        var d = DrainStateMachine(rule: .wait, timeoutSeconds: 2, hardDeadline: 100_000_000_000)
        #expect(d.tick(now: 0, cutShort: nil) == .wait)  // still sending
        #expect(d.tick(now: 1_000_000_000, cutShort: false) == .wait)  // stopped: the drain starts
        #expect(d.tick(now: 2_999_999_999, cutShort: false) == .wait)
        #expect(d.tick(now: 3_000_000_000, cutShort: false) == .cancelInFlight(timedOut: true))
        #expect(d.tick(now: 4_000_000_000, cutShort: false) == .wait)  // once
    }

    @Test func neverWaitsPastThePointsHardLimit() {
        var d = DrainStateMachine(rule: .wait, timeoutSeconds: 60, hardDeadline: 5_000_000_000)
        #expect(d.tick(now: 4_000_000_000, cutShort: false) == .wait)
        #expect(d.tick(now: 5_000_000_000, cutShort: false) == .cancelInFlight(timedOut: true))
    }

    @Test func cancelsAtOnceByRuleOrWhenThePointWasCutShort() {
        var byRule = DrainStateMachine(rule: .cancel, timeoutSeconds: 60, hardDeadline: .max)
        #expect(byRule.tick(now: 1, cutShort: false) == .cancelInFlight(timedOut: false))
        var interrupted = DrainStateMachine(rule: .wait, timeoutSeconds: 60, hardDeadline: .max)
        #expect(interrupted.tick(now: 1, cutShort: true) == .cancelInFlight(timedOut: false))
    }
}
