import Foundation
import TokenMeterCore

/// Predicted serving figures at one concurrency.
public struct ServingPrediction: Sendable, Equatable {
    /// Concurrency (sequences in flight per replica).
    public var concurrency: Int
    /// TTFT, TPOT and tokens per second per GPU.
    public var point: OperatingPoint
    /// What bounds a decode step.
    public var bound: String
    /// The memory plan at this concurrency.
    public var memory: MemoryPlan
    /// Sequences the KV cache keeps running (the rest of the concurrency waits for a slot).
    public var running: Int
    /// Share of the running sequences' KV held in host memory (KV offload), 0 without.
    public var hostShare: Double
}

extension PerformanceModel {
    /// What one GPU holds at a concurrency (weights, KV at full context, activations, a reserve). `prefixHitRate` of each
    /// prompt is a shared cached prefix, held once rather than per sequence.
    public func memoryPlan(concurrency: Int, inputLength: Int, outputLength: Int, prefixHitRate: Double = 0) -> MemoryPlan {
        let m = deployment.model
        let p = deployment.parallelism
        let wb = deployment.precision.weightBytes
        var dense = m.totalParameters
        var experts = 0.0
        if let moe = m.moe {
            experts = 3 * Double(m.hidden * moe.expertIntermediate) * Double(moe.routedExperts) * Double(m.moeLayers)
            dense -= experts
        }
        let weights = (dense / Double(p.tensor) * deployment.densePrecision.weightBytes + experts / Double(p.expert * p.expertTensor) * wb)
            / Double(p.pipeline)
        let shared = Int((Double(inputLength) * prefixHitRate).rounded())
        let own = kvPerSequencePerGPU(context: inputLength - shared + outputLength)
        let kv = (own * Double(concurrency) + kvPerSequencePerGPU(context: shared) * Double(p.attentionData)) / Double(p.attentionData)
        let activations = Double(min(prefillChunkTokens, max(inputLength, 1))) * Double(m.hidden) * 2 * 8
        return MemoryPlan(weightBytes: weights, kvBytes: kv, activationBytes: activations, reserveBytes: 3e9,
                          capacityBytes: deployment.hardware.memoryBytes)
    }

    /// KV bytes one more token of context puts on each GPU (a linear-attention state, held per sequence, is not counted).
    var kvBytesPerTokenPerGPU: Double { (kvPerSequencePerGPU(context: 1024) - kvPerSequencePerGPU(context: 0)) / 1024 }

    /// KV bytes one sequence of `context` tokens puts on each GPU of its attention group and pipeline stage.
    func kvPerSequencePerGPU(context: Int) -> Double {
        let m = deployment.model
        let p = deployment.parallelism
        let a = m.attention
        let kvShare: Double = a.kind == .mla ? 1 : max(1, Double(a.kvHeads) / Double(p.tensor)) / Double(a.kvHeads)
        return (m.kvBytes(context: max(0, context), bytesPerElement: deployment.precision.kvBytes) + m.linearStateBytes) * kvShare / Double(p.pipeline)
    }

    /// Sequences the KV cache keeps running out of `concurrency`, and the share of their KV that must live in host memory.
    /// Engines admit on current use, so sequences count at their mean context (prompt plus half the output), the cached prefix
    /// once. With offload, host memory extends the cache.
    public func kvCapacity(concurrency: Int, inputLength: Int, outputLength: Int, options: ServingOptions = .none,
                           hostRunning: Bool = true) -> (running: Int, hostShare: Double)
    {
        let plan = memoryPlan(concurrency: concurrency, inputLength: inputLength, outputLength: outputLength,
                              prefixHitRate: options.prefixHitRate)
        let shared = Int((Double(inputLength) * options.prefixHitRate).rounded())
        let perSequence = kvPerSequencePerGPU(context: inputLength - shared + outputLength / 2) / Double(deployment.parallelism.attentionData)
        let hbm = max(0, plan.capacityBytes - plan.weightBytes - plan.activationBytes - plan.reserveBytes
            - kvPerSequencePerGPU(context: shared))
        let c = max(concurrency, 1)
        guard perSequence > 0 else { return (c, 0) }
        let host = options.kvOffload && hostRunning ? deployment.hardware.hostMemoryBytes : 0
        let running = min(c, max(1, Int(((hbm + host) / perSequence).rounded(.down))))
        let needed = Double(running) * perSequence
        let hostShare = needed > hbm ? (needed - hbm) / needed : 0
        return (running, hostShare)
    }

    /// Aggregated continuous batching at `concurrency` sequences per replica.
    ///
    /// Each decode step also prefills, amortised, `running × isl′ / osl` prompt tokens (isl′: those not from the prefix
    /// cache). A new request waits half a step, then is prefilled with the `running × TTFT / E2E` others waiting for a first
    /// token (Little's law, a fixed point), raised towards the whole concurrency by `prefillBatching`. Sequences beyond the
    /// KV capacity queue; with KV offload, running ones spill to host memory only when that beats queueing. docs/perf-model.md.
    public func aggregated(concurrency: Int, inputLength isl: Int, outputLength osl: Int, options: ServingOptions = .none) -> ServingPrediction {
        let spilled = aggregated(concurrency: concurrency, inputLength: isl, outputLength: osl, options: options, hostRunning: true)
        guard options.kvOffload, spilled.hostShare > 0 else { return spilled }
        let queued = aggregated(concurrency: concurrency, inputLength: isl, outputLength: osl, options: options, hostRunning: false)
        return queued.point.outputPerGPU >= spilled.point.outputPerGPU ? queued : spilled
    }

    func aggregated(concurrency: Int, inputLength isl: Int, outputLength osl: Int, options: ServingOptions, hostRunning: Bool) -> ServingPrediction {
        let memory = memoryPlan(concurrency: concurrency, inputLength: isl, outputLength: osl, prefixHitRate: options.prefixHitRate)
        let capacity = kvCapacity(concurrency: concurrency, inputLength: isl, outputLength: osl, options: options, hostRunning: hostRunning)
        let c = Double(capacity.running)
        let queued = Double(max(concurrency, 1)) - c
        let context = Double(isl) + Double(osl) / 2
        let prompt = options.prefilledTokens(isl)
        let tokensPerStep = options.speculation?.tokensPerStep ?? 1
        let decode = decodeTime(running: c, context: context,
                                prefillTokens: efficiency.prefillInterference * c * prompt * tokensPerStep / Double(max(osl, 1)),
                                promptLength: Double(isl), speculation: options.speculation, hostShare: capacity.hostShare)
        let tpot = decode.perToken
        // Cached prefixes offloaded to host memory come back over the CPU–GPU link before the first token.
        let prefixLoad = options.kvOffload
            ? kvPerSequencePerGPU(context: isl - Int(prompt.rounded())) / deployment.hardware.hostLinkBytesPerSecond : 0
        func firstToken(waiting: Double) -> Double {
            let promptTokens = waiting * prompt
            let chunks = max(1, (promptTokens / Double(prefillChunkTokens)).rounded(.up))
            let chunkStep = step(decoding: max(0, c - waiting), context: context, prefillTokens: promptTokens / chunks,
                                 promptLength: Double(isl), hostResidentShare: capacity.hostShare)
            return decode.step.total / 2 + chunks * chunkStep.total + prefixLoad
        }
        var ttft = firstToken(waiting: 1)
        for _ in 0..<20 {
            let steady = max(1, c * ttft / (ttft + Double(max(osl - 1, 0)) * tpot))
            let waiting = steady + efficiency.prefillBatching * (c - steady)
            let next = firstToken(waiting: waiting)
            if abs(next - ttft) < 1e-6 * ttft { ttft = next; break }
            ttft = next
        }
        let gpus = Double(deployment.parallelism.gpus)
        let e2e = (Double(osl) - 1) * tpot + ttft
        // Little's law: requests complete at c / e2e per second; the queued ones wait queued / that rate.
        let wait = queued > 0 ? queued * e2e / c : 0
        let output = c / e2e * Double(osl) / gpus
        return ServingPrediction(
            concurrency: concurrency,
            point: OperatingPoint(ttftMilliseconds: (ttft + wait) * 1000 + efficiency.requestMilliseconds, tpotMilliseconds: tpot * 1000,
                                  inputPerGPU: output * Double(isl) / Double(max(osl, 1)), outputPerGPU: output),
            bound: decode.step.bound, memory: memory,
            running: capacity.running, hostShare: capacity.hostShare)
    }

    /// Tokens of KV cache one replica holds: what each GPU's memory leaves after weights, activations and the reserve, over
    /// the KV bytes a token puts on it, times the attention groups (each holds its own sequences). At least 1.
    public func kvCapacityTokens() -> Int {
        let plan = memoryPlan(concurrency: 0, inputLength: prefillChunkTokens, outputLength: 0)
        let free = plan.capacityBytes - plan.weightBytes - plan.activationBytes - plan.reserveBytes
        let perToken = kvBytesPerTokenPerGPU
        guard free > 0, perToken > 0 else { return 1 }
        return max(1, Int((free / perToken).rounded(.down)) * deployment.parallelism.attentionData)
    }

    /// The limits the one scheduler runs this deployment under: the KV cache its memory leaves, the prefill chunk, and a
    /// batch of at most `maxRunning` sequences.
    public func batchLimits(maxRunning: Int) -> BatchLimits {
        BatchLimits(maxRunning: maxRunning, prefillTokensPerStep: prefillChunkTokens, kvCapacityTokens: kvCapacityTokens())
    }
}
