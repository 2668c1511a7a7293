import Foundation
import TokenMeterCore

/// What one prefill worker can do: the time to prefill a batch of prompts and its request rate.
public struct PrefillPool: Sendable, Equatable {
    /// Seconds to prefill one prompt alone (chunked).
    public var singlePromptSeconds: Double
    /// Requests per second one worker sustains at its batch size.
    public var requestsPerSecond: Double
    /// Prompts batched per prefill step.
    public var batch: Int
    /// GPUs of one worker.
    public var gpus: Int
    /// Whether the layout fits in memory.
    public var fits: Bool
}

/// What one decode worker does at a concurrency.
public struct DecodePool: Sendable, Equatable {
    /// Sequences per worker.
    public var concurrency: Int
    /// Running sequences (the KV cache may hold fewer).
    public var running: Int
    /// Time per output token, s.
    public var tpot: Double
    /// Requests per second one worker completes: running / (osl × TPOT).
    public var requestsPerSecond: Double
    /// GPUs of one worker.
    public var gpus: Int
    /// What bounds its step.
    public var bound: String
    /// Whether it fits.
    public var fits: Bool
}

/// A disaggregated prediction: the two pools combined at a rate both sustain.
public struct DisaggregatedPrediction: Sendable, Equatable {
    /// Prefill and decode workers.
    public var prefillWorkers: Int
    /// Decode workers.
    public var decodeWorkers: Int
    /// TTFT (queueing, prefill, KV transfer), TPOT, and tokens per second per GPU over both pools.
    public var point: OperatingPoint
    /// KV transfer of one prompt, ms.
    public var transferMilliseconds: Double
    /// Requests per second of the whole system.
    public var requestsPerSecond: Double
    /// `prefill` or `decode`: the pool that limits the rate.
    public var limitedBy: String
    /// GPUs in both pools.
    public var gpus: Int
}

/// Disaggregated prefill/decode serving: a prefill pool and a decode pool, each a `PerformanceModel` with its own layout,
/// joined by a KV transfer over the scale-up fabric when both pools share one domain and over the scale-out NICs otherwise.
public struct DisaggregatedServing: Sendable {
    /// The prefill workers' model (layout included).
    public var prefill: PerformanceModel
    /// The decode workers' model.
    public var decode: PerformanceModel
    /// Serving options (speculation applies to decode, the prefix cache to prefill).
    public var options: ServingOptions

    /// Creates the pair.
    public init(prefill: PerformanceModel, decode: PerformanceModel, options: ServingOptions = .none) {
        self.prefill = prefill
        self.decode = decode
        self.options = options
    }

    /// One prefill worker at `batch` prompts per step.
    public func prefillPool(inputLength isl: Int, batch: Int) -> PrefillPool {
        let prompt = options.prefilledTokens(isl)
        func seconds(_ prompts: Double) -> Double {
            let tokens = prompts * prompt
            let chunks = max(1, (tokens / Double(prefill.prefillChunkTokens)).rounded(.up))
            return chunks * prefill.step(decoding: 0, context: 0, prefillTokens: tokens / chunks, promptLength: Double(isl)).total
        }
        let b = max(1, batch)
        let fits = prefill.memoryPlan(concurrency: b, inputLength: isl, outputLength: 1, prefixHitRate: options.prefixHitRate).fits
        return PrefillPool(singlePromptSeconds: seconds(1), requestsPerSecond: Double(b) / seconds(Double(b)), batch: b,
                           gpus: prefill.deployment.parallelism.gpus, fits: fits)
    }

    /// One decode worker at `concurrency` sequences: steps without prefill work.
    public func decodePool(concurrency: Int, inputLength isl: Int, outputLength osl: Int) -> DecodePool {
        let capacity = decode.kvCapacity(concurrency: concurrency, inputLength: isl, outputLength: osl, options: options)
        let context = Double(isl) + Double(osl) / 2
        let d = decode.decodeTime(running: Double(capacity.running), context: context, prefillTokens: 0, promptLength: 0,
                                  speculation: options.speculation, hostShare: capacity.hostShare)
        let fits = decode.memoryPlan(concurrency: 1, inputLength: isl, outputLength: osl, prefixHitRate: options.prefixHitRate).fits
        return DecodePool(concurrency: concurrency, running: capacity.running, tpot: d.perToken,
                          requestsPerSecond: Double(capacity.running) / (Double(max(osl, 1)) * d.perToken),
                          gpus: decode.deployment.parallelism.gpus, bound: d.step.bound, fits: fits)
    }

    /// Seconds to move one prompt's KV cache from a prefill worker to a decode worker. Every prefill rank sends its shard in
    /// parallel; the fabric is the scale-up one when both pools fit in one domain.
    public func transferSeconds(inputLength isl: Int, totalGPUs: Int) -> Double {
        let bytes = decode.deployment.model.kvBytes(context: isl, bytesPerElement: decode.deployment.precision.kvBytes)
        return Self.transferSeconds(bytes: bytes, prefillGPUs: prefill.deployment.parallelism.gpus, decodeGPUs: decode.deployment.parallelism.gpus,
                                    totalGPUs: totalGPUs, hardware: decode.deployment.hardware, efficiency: decode.efficiency)
    }

    /// The transfer of `bytes` of KV between workers of these sizes: `α + bytes / min(GPUs_P, GPUs_D) / BW`.
    public static func transferSeconds(bytes: Double, prefillGPUs: Int, decodeGPUs: Int, totalGPUs: Int, hardware: HardwareSpec,
                                       efficiency: Efficiency) -> Double {
        efficiency.collectiveLatencyMicroseconds / 1e6 + bytes / Double(min(prefillGPUs, decodeGPUs)) / hardware.fabricBytesPerSecond(group: totalGPUs)
    }

    /// Combines pools at a closed-loop concurrency: the rate is what the slower pool sustains (rate matching); TTFT is the
    /// prefill of the prompts waiting at one worker (Little's law, raised by `prefillBatching` towards synchronized waves) plus
    /// the transfer, and grows to absorb the users a saturated prefill pool cannot serve. Those users wait in front of the
    /// prefill pool, not in the decode batch: a decode worker then holds only what the rate brings it (`decodeFed`: one
    /// worker's pool when fed a number of requests per second), decodes faster for it, and the users' wait grows by what
    /// decoding no longer takes. The engine's per-request cost (`requestMilliseconds`) is added to TTFT, as aggregated serving
    /// adds it.
    public static func combine(prefill: PrefillPool, prefillWorkers np: Int, decode: DecodePool, decodeWorkers nd: Int,
                               transfer: Double, concurrency: Int, inputLength isl: Int, outputLength osl: Int,
                               prefillBatching: Double = 0, requestMilliseconds: Double,
                               decodeFed: (Double) -> DecodePool) -> DisaggregatedPrediction
    {
        let users = Double(max(concurrency, 1))
        var tpot = decode.tpot
        var decodeTime = Double(max(osl - 1, 0)) * tpot
        let prefillCapacity = Double(np) * prefill.requestsPerSecond
        let decodeCapacity = Double(nd) * decode.requestsPerSecond
        // Prefill of the prompts that wait together at one worker, as a fixed point of TTFT.
        var ttft = prefill.singlePromptSeconds + transfer
        for _ in 0..<20 {
            let rate = min(users / (ttft + decodeTime), prefillCapacity, decodeCapacity)
            let steady = max(1, rate / Double(np) * ttft)
            let waves = users / Double(np)
            let waiting = min(steady + prefillBatching * max(0, waves - steady), waves)
            let next = waiting / prefill.requestsPerSecond + transfer
            let bounded = max(next, prefill.singlePromptSeconds + transfer)
            if abs(bounded - ttft) < 1e-6 * ttft { ttft = bounded; break }
            ttft = bounded
        }
        var rate = users / (ttft + decodeTime)
        let limit = min(prefillCapacity, decodeCapacity)
        if rate > limit {
            // Users beyond what the slower pool serves wait in front of it; for a saturated decode pool that wait is a slot.
            rate = limit
            if prefillCapacity < decodeCapacity {
                tpot = decodeFed(rate / Double(max(nd, 1))).tpot
                decodeTime = Double(max(osl - 1, 0)) * tpot
            }
            ttft = max(ttft, users / rate - decodeTime)
        }
        let gpus = np * prefill.gpus + nd * decode.gpus
        let output = rate * Double(osl) / Double(gpus)
        return DisaggregatedPrediction(
            prefillWorkers: np, decodeWorkers: nd,
            point: OperatingPoint(ttftMilliseconds: ttft * 1000 + requestMilliseconds, tpotMilliseconds: tpot * 1000,
                                  inputPerGPU: output * Double(isl) / Double(max(osl, 1)), outputPerGPU: output),
            transferMilliseconds: transfer * 1000, requestsPerSecond: rate, limitedBy: prefillCapacity < decodeCapacity ? "prefill" : "decode",
            gpus: gpus)
    }

    /// One decode worker fed `rate` requests per second, fewer than it could finish: its pool at the fewest sequences that
    /// complete that many (`decodeAt`; rate × decode time held, Little's law), at most `full`'s — the rule the search
    /// applies on the concurrencies it predicted.
    public static func decodeOccupancy(rate: Double, from full: DecodePool, decodeAt: (Int) -> DecodePool) -> DecodePool {
        guard full.requestsPerSecond > rate else { return full }
        var low = 1, high = full.concurrency  // decodeAt(high) completes the rate; find the fewest that do
        var found = full
        while low < high {
            let mid = (low + high) / 2
            let pool = decodeAt(mid)
            if pool.requestsPerSecond >= rate { (high, found) = (mid, pool) } else { low = mid + 1 }
        }
        return high == found.concurrency ? found : decodeAt(high)
    }

    /// Prefill workers the decode workers need: their request rate at their share of the users over one prefill worker's rate.
    public func matchedPrefillWorkers(decodeWorkers nd: Int, concurrency: Int, inputLength isl: Int, outputLength osl: Int) -> Int {
        let perWorker = max(1, Int((Double(concurrency) / Double(max(1, nd))).rounded(.up)))
        let demand = Double(nd) * decodePool(concurrency: perWorker, inputLength: isl, outputLength: osl).requestsPerSecond
        let supply = prefillPool(inputLength: isl, batch: 1).requestsPerSecond
        return max(1, Int((demand / supply).rounded(.up)))
    }

    /// Predicts `concurrency` users over `prefillWorkers` and `decodeWorkers` workers; each decode worker holds its share of
    /// the users and each prefill worker batches up to `prefillBatch` prompts.
    public func predict(concurrency: Int, inputLength isl: Int, outputLength osl: Int, prefillWorkers np: Int, decodeWorkers nd: Int,
                        prefillBatch: Int = 1) -> DisaggregatedPrediction
    {
        let perDecode = max(1, Int((Double(concurrency) / Double(max(nd, 1))).rounded(.up)))
        let total = np * prefill.deployment.parallelism.gpus + nd * decode.deployment.parallelism.gpus
        let full = decodePool(concurrency: perDecode, inputLength: isl, outputLength: osl)
        let combined = Self.combine(prefill: prefillPool(inputLength: isl, batch: prefillBatch), prefillWorkers: np,
                                    decode: full, decodeWorkers: nd,
                                    transfer: transferSeconds(inputLength: isl, totalGPUs: total), concurrency: concurrency,
                                    inputLength: isl, outputLength: osl, prefillBatching: prefill.efficiency.prefillBatching,
                                    requestMilliseconds: prefill.efficiency.requestMilliseconds,
                                    decodeFed: { rate in
                                        Self.decodeOccupancy(rate: rate, from: full,
                                                             decodeAt: { decodePool(concurrency: $0, inputLength: isl, outputLength: osl) })
                                    })
        return combined
    }
}
