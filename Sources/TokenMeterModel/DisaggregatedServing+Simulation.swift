import TokenMeterCore

extension DisaggregatedServing {
    /// The benchmark's closed loop of `concurrency` clients against `prefillWorkers` prefill and `decodeWorkers` decode workers
    /// on one virtual clock (`EngineSimulation.disaggregatedClosedLoop`), each pool with its own step times and KV cache, the
    /// KV transfer between them over the fabric; prefill workers batch waiting prompts up to their token budget (at least
    /// `prefillBatch`), decode workers decode first (the prompts they receive are computed already). The engine's per-request cost is added to TTFT, its
    /// lock-step share spreads the clients. Speculation and the prefix cache are not simulated.
    public func simulateClosedLoop(concurrency: Int, inputLength: Int, outputLength: Int, prefillWorkers: Int, decodeWorkers: Int,
                                   prefillBatch: Int = 1, policy: SchedulingPolicy, requests: Int? = nil) -> EngineSimulation.Outcome {
        // A prefill worker batches the prompts waiting for it up to its token budget (and at least `prefillBatch` of them).
        var prefillLimits = prefill.batchLimits(maxRunning: max(1, prefillBatch, prefill.prefillChunkTokens / max(1, inputLength)))
        prefillLimits.policy = policy
        let perDecode = (max(1, concurrency) + max(1, decodeWorkers) - 1) / max(1, decodeWorkers)
        var decodeLimits = decode.batchLimits(maxRunning: max(1024, perDecode))
        decodeLimits.policy = .decodesFirst
        let total = prefillWorkers * prefill.deployment.parallelism.gpus + decodeWorkers * decode.deployment.parallelism.gpus
        let transfer = transferSeconds(inputLength: inputLength, totalGPUs: total)
        var outcome = EngineSimulation.disaggregatedClosedLoop(
            concurrency: concurrency, inputLength: inputLength, outputLength: outputLength, requests: requests ?? max(64, 2 * concurrency),
            prefill: EngineSimulation.Pool(workers: prefillWorkers, timing: RooflineStepTime(model: prefill), limits: prefillLimits,
                                           gpus: prefill.deployment.parallelism.gpus),
            decode: EngineSimulation.Pool(workers: decodeWorkers, timing: RooflineStepTime(model: decode), limits: decodeLimits,
                                          gpus: decode.deployment.parallelism.gpus),
            transferNanoseconds: UInt64(max(0, transfer * 1e9)), lockstep: prefill.efficiency.lockstep)
        outcome.point.ttftMilliseconds += prefill.efficiency.requestMilliseconds
        outcome.ttft = outcome.ttft?.shifted(by: prefill.efficiency.requestMilliseconds)
        return outcome
    }
}
