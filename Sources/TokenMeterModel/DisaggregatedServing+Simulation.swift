import TokenMeterCore

extension DisaggregatedServing {
    /// The benchmark's closed loop of `concurrency` clients against `prefillWorkers` prefill and `decodeWorkers` decode workers
    /// on one virtual clock (`EngineSimulation.disaggregatedClosedLoop`), each pool with its own step times and KV cache, the
    /// KV transfer between them over the fabric; prefill workers batch waiting prompts up to their token budget (at least
    /// `prefillBatch`), decode workers decode first (the prompts they receive are computed already). The serving options
    /// apply where they act: the prefix cache at the prefill workers, speculation and KV offload at the decode workers. The
    /// engine's per-request cost is added to TTFT, its lock-step share spreads the clients.
    public func simulateClosedLoop(concurrency: Int, inputLength: Int, outputLength: Int, prefillWorkers: Int, decodeWorkers: Int,
                                   prefillBatch: Int = 1, policy: SchedulingPolicy, requests: Int? = nil) -> EngineSimulation.Outcome {
        var prefillOptions = ServingOptions.none, decodeOptions = options
        prefillOptions.prefixHitRate = options.prefixHitRate
        decodeOptions.prefixHitRate = 0
        // A prefill worker batches the prompts waiting for it up to its token budget (and at least `prefillBatch` of them).
        let p = prefill.simulation(maxRunning: max(1, prefillBatch, prefill.prefillChunkTokens / max(1, inputLength)), policy: policy,
                                   options: prefillOptions, concurrency: concurrency, inputLength: inputLength)
        let perDecode = (max(1, concurrency) + max(1, decodeWorkers) - 1) / max(1, decodeWorkers)
        let d = decode.simulation(maxRunning: max(1024, perDecode), policy: .decodesFirst, options: decodeOptions, concurrency: perDecode,
                                  inputLength: inputLength)
        let total = prefillWorkers * prefill.deployment.parallelism.gpus + decodeWorkers * decode.deployment.parallelism.gpus
        let transfer = transferSeconds(inputLength: inputLength, totalGPUs: total)
        var outcome = EngineSimulation.disaggregatedClosedLoop(
            concurrency: concurrency, inputLength: inputLength, outputLength: outputLength, requests: requests ?? max(64, 2 * concurrency),
            prefill: EngineSimulation.Pool(workers: prefillWorkers, timing: p.timing, limits: p.limits, gpus: prefill.deployment.parallelism.gpus),
            decode: EngineSimulation.Pool(workers: decodeWorkers, timing: d.timing, limits: d.limits, gpus: decode.deployment.parallelism.gpus),
            transferNanoseconds: UInt64(max(0, transfer * 1e9)), lockstep: prefill.efficiency.lockstep, cachedTokens: p.cachedTokens)
        outcome.point.ttftMilliseconds += prefill.efficiency.requestMillisecondsInSimulation
        outcome.ttft = outcome.ttft?.shifted(by: prefill.efficiency.requestMillisecondsInSimulation)
        return outcome
    }
}
