import Foundation
import Testing
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel

/// The predictor's analytic estimate (`PerformanceModel.aggregated`) against the one scheduler run on a virtual clock
/// (`EngineSimulation`) with the same roofline step times and the limits the deployment's memory sets, over a grid of
/// deployments, prompt and output lengths and concurrencies.
///
/// Where they must agree they do: one user alone, and how many sequences the KV cache keeps running. Where they differ, the
/// difference has one known cause and a stated band: the analytic model spreads each prompt's prefill evenly over the decode
/// steps, where it hides under the memory-bound decode time, while the engine prefills a prompt in the step after it arrives
/// (chunked at the budget), a compute-bound step every user waits for. So the simulated TPOT is up to ~60% higher (long
/// prompts, FP8 prefill credited at its measured utilisation, 0.45 of its peak against BF16's 0.70) and the
/// throughput up to ~35% lower at mid and high load, and a queue for KV slots is longer. docs/perf-model.md has the table.
@Suite struct EngineSimulationTests {
    struct Case: CustomStringConvertible {
        var model: String, hardware: String, tp: Int, isl: Int, osl: Int, concurrency: Int
        var description: String { "\(model) on \(tp)× \(hardware), ISL \(isl) OSL \(osl), c=\(concurrency)" }
    }

    static let cases: [Case] = [("llama-3.1-8b", "h100", 1), ("llama-3.1-70b", "h100", 4), ("qwen3-235b-a22b", "h200", 8), ("llama-3.1-70b", "h100", 2)]
        .flatMap { m, h, tp in [(1024, 256), (8192, 1024)].flatMap { isl, osl in [1, 8, 64, 256].map { Case(model: m, hardware: h, tp: tp, isl: isl, osl: osl, concurrency: $0) } } }

    static func model(_ c: Case) throws -> PerformanceModel {
        let architecture = try ModelCatalog.load().model(c.model)
        let hardware = try HardwareSpec(try HardwareCatalog.load(environment: [:]).gpu(c.hardware))
        let layout = Parallelism(tensor: c.tp, expertTensor: architecture.moe == nil ? 1 : c.tp)
        return PerformanceModel(deployment: Deployment(model: architecture, hardware: hardware, precision: .fp8, parallelism: layout))
    }

    static func within(_ ratio: Double, _ range: ClosedRange<Double>) -> Bool { range.contains(ratio) }

    @Test(arguments: cases)
    func analyticEstimateAndSimulationAgreeWithinTheirBands(_ c: Case) throws {
        let model = try Self.model(c)
        let analytic = model.aggregated(concurrency: c.concurrency, inputLength: c.isl, outputLength: c.osl)
        let simulated = EngineSimulation.closedLoop(concurrency: c.concurrency, inputLength: c.isl, outputLength: c.osl,
                                                    requests: max(64, 2 * c.concurrency), timing: RooflineStepTime(model: model),
                                                    limits: model.batchLimits(maxRunning: 1024), gpus: c.tp)
        let s = simulated.point
        let ttft = s.ttftMilliseconds / analytic.point.ttftMilliseconds
        let tpot = s.tpotMilliseconds / analytic.point.tpotMilliseconds
        let output = s.outputPerGPU / analytic.point.outputPerGPU
        print(String(format: "engine simulation vs analytic: %@: TTFT %.1f / %.1f ms, TPOT %.2f / %.2f ms, output %.0f / %.0f tok/s/GPU, running %.0f / %d",
                     c.description, s.ttftMilliseconds, analytic.point.ttftMilliseconds, s.tpotMilliseconds, analytic.point.tpotMilliseconds,
                     s.outputPerGPU, analytic.point.outputPerGPU, simulated.meanRunning, analytic.running))
        // How many sequences the KV cache keeps running: the same admission rule on both sides.
        #expect(abs(simulated.meanRunning - Double(analytic.running)) <= 0.03 * Double(analytic.running) + 1)
        if c.concurrency == 1 {
            // Alone, a step is a step (for a MoE model the analytic's amortised prefill tokens touch more experts in every
            // decode step, up to 10% more); the analytic TTFT adds half a decode step of waiting (an open loop's
            // expectation), which a closed loop's request arriving at an idle engine does not pay.
            #expect(Self.within(tpot, 0.9...1.03) && Self.within(output, 0.97...1.1), "TPOT ×\(tpot), output ×\(output)")
            #expect(Self.within(ttft, 0.6...1.0), "TTFT ×\(ttft)")
            return
        }
        #expect(Self.within(tpot, 0.85...1.65), "TPOT ×\(tpot)")
        #expect(Self.within(output, 0.6...1.15), "output ×\(output)")
        let queued = analytic.running < c.concurrency
        #expect(Self.within(ttft, queued ? 0.9...1.7 : 0.6...1.4), "TTFT ×\(ttft)")
        #expect(simulated.preemptions == 0)
    }
}
