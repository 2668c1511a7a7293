import Testing
import TokenMeterCore
@testable import TokenMeterModel

/// The disaggregated loop's decode workers run their decode-only stretches at once and cut one short when a request
/// arrives in its middle; the same loop run step by step must measure the same.
@Suite struct DisaggregatedStretchTests {
    @Test(arguments: [(8, 2, 1), (64, 3, 2), (200, 4, 3)])
    func skippedStretchesMeasureWhatStepByStepDoes(_ c: (users: Int, prefillWorkers: Int, decodeWorkers: Int)) throws {
        // Prefill: 2 ms a step plus 4 µs a token; decode: 3 ms a step, 20 µs a sequence and 0.05 µs a context token — so
        // stretches are long, their step times grow, and prompts reach the decode workers in their middle.
        let prefill = ParametricStepTime(fixedMilliseconds: 2, perSequenceMilliseconds: 0, perContextTokenMicroseconds: 0, perPrefillTokenMicroseconds: 4)
        let decode = ParametricStepTime(fixedMilliseconds: 3, perSequenceMilliseconds: 0.02, perContextTokenMicroseconds: 0.05, perPrefillTokenMicroseconds: 0)
        let limits = BatchLimits(maxRunning: 256, prefillTokensPerStep: 4096, kvCapacityTokens: 400_000)
        func run(_ skipping: Bool) -> EngineSimulation.Outcome {
            EngineSimulation.disaggregatedClosedLoop(
                concurrency: c.users, inputLength: 1000, outputLength: 300, requests: 2 * c.users,
                prefill: EngineSimulation.Pool(workers: c.prefillWorkers, timing: prefill, limits: limits, gpus: 1),
                decode: EngineSimulation.Pool(workers: c.decodeWorkers, timing: decode, limits: limits, gpus: 1),
                transferNanoseconds: 1_500_000, lockstep: 0, cachedTokens: 0, skippingStretches: skipping)
        }
        let skipped = run(true), stepped = run(false)
        #expect(skipped.requests == stepped.requests)
        let ttft = try #require(skipped.ttft), tpot = try #require(skipped.tpot)
        let ttftStepped = try #require(stepped.ttft), tpotStepped = try #require(stepped.tpot)
        for (a, b) in [(ttft.p50, ttftStepped.p50), (ttft.p99, ttftStepped.p99), (tpot.p50, tpotStepped.p50), (tpot.p99, tpotStepped.p99)] {
            #expect(abs(a / b - 1) < 0.005, "\(a) against \(b) step by step")
        }
        #expect(abs(skipped.point.outputPerGPU / stepped.point.outputPerGPU - 1) < 0.005)
        // A stretch still running when the loop stops is not counted, as a step still running is not.
        #expect(abs(Double(skipped.steps) / Double(stepped.steps) - 1) < 0.01, "steps \(skipped.steps) against \(stepped.steps)")
        #expect(abs(skipped.meanRunning / stepped.meanRunning - 1) < 0.01)
    }
}
