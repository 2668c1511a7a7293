import Foundation
import Testing
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel

@Suite struct ServingOptionTests {
    @Test func speculationFollowsTheAcceptanceFormula() throws {
        let s = try Speculation(drafter: .mtp, draftTokens: 3, acceptance: 0.85)
        #expect(abs(s.tokensPerStep - (1 - pow(0.85, 4)) / 0.15) < 1e-12)
        #expect(try Speculation(drafter: .mtp, draftTokens: 1, acceptance: 0).tokensPerStep == 1)
        #expect(throws: ConfigError.self) { try Speculation(drafter: .mtp, draftTokens: 0, acceptance: 0.5) }
        #expect(throws: ConfigError.self) { try Speculation(drafter: .mtp, draftTokens: 2, acceptance: 1) }
        #expect(throws: ConfigError.self) { try ServingOptions(prefixHitRate: 1.2) }
    }

    /// MTP on memory-bound decode: fewer steps per token, each a little dearer (γ+1 tokens verified, one layer drafted), so the
    /// speed-up lies between 1 and the expected tokens per step. REFERENCE.md: ~1.8× for DeepSeek-V3 at 85–90% acceptance.
    @Test func mtpSpeedsUpMemoryBoundDecodeButNotByTheFullTokenCount() throws {
        let d = try deployment("deepseek-r1", "h200", .fp8, Parallelism(tensor: 8, expert: 8))
        let model = PerformanceModel(deployment: d)
        let mtp = try ServingOptions(speculation: try Speculation(drafter: .mtp, draftTokens: 1, acceptance: 0.85))
        for c in [1, 8, 32] {
            let plain = model.aggregated(concurrency: c, inputLength: 1024, outputLength: 1024)
            let fast = model.aggregated(concurrency: c, inputLength: 1024, outputLength: 1024, options: mtp)
            let speedup = plain.point.tpotMilliseconds / fast.point.tpotMilliseconds
            #expect(speedup > 1.3 && speedup < 1.85, "c=\(c): \(speedup)")
            #expect(fast.point.outputPerGPU > plain.point.outputPerGPU)
        }
        // A draft model costs its own steps: with no acceptance at all, speculation only slows decode down.
        let useless = try ServingOptions(speculation: try Speculation(drafter: .model(try models.model("llama-3.1-8b")), draftTokens: 4, acceptance: 0))
        let target = PerformanceModel(deployment: try deployment("llama-3.1-70b", "h200", .fp8, Parallelism(tensor: 4)))
        #expect(target.aggregated(concurrency: 4, inputLength: 512, outputLength: 512, options: useless).point.tpotMilliseconds
            > target.aggregated(concurrency: 4, inputLength: 512, outputLength: 512).point.tpotMilliseconds)
    }

    @Test func prefixHitsCutPrefillAndOffloadAddsCapacityAtATransferCost() throws {
        let model = PerformanceModel(deployment: try deployment("llama-3.1-70b", "h100", .fp8, Parallelism(tensor: 2)))
        let plain = model.aggregated(concurrency: 16, inputLength: 8192, outputLength: 256)
        let cached = model.aggregated(concurrency: 16, inputLength: 8192, outputLength: 256, options: try ServingOptions(prefixHitRate: 0.75))
        #expect(cached.point.ttftMilliseconds < plain.point.ttftMilliseconds * 0.5)
        #expect(cached.point.tpotMilliseconds <= plain.point.tpotMilliseconds)
        // At a concurrency the HBM cannot hold, offload runs more sequences (some KV in host memory) or queues them,
        // whichever delivers more; running sequences never drop.
        let crowded = 512
        let hbm = model.kvCapacity(concurrency: crowded, inputLength: 8192, outputLength: 1024)
        let offload = try ServingOptions(kvOffload: true)
        let host = model.kvCapacity(concurrency: crowded, inputLength: 8192, outputLength: 1024, options: offload)
        #expect(hbm.running < crowded && hbm.hostShare == 0)
        #expect(host.running > hbm.running && host.hostShare > 0)
        let step = model.step(decoding: Double(host.running), context: 8704, prefillTokens: 0, promptLength: 0)
        let streamed = model.step(decoding: Double(host.running), context: 8704, prefillTokens: 0, promptLength: 0, hostResidentShare: host.hostShare)
        #expect(streamed.total > step.total)
        let chosen = model.aggregated(concurrency: crowded, inputLength: 8192, outputLength: 1024, options: offload)
        #expect(chosen.running >= hbm.running)
        #expect(chosen.point.outputPerGPU >= model.aggregated(concurrency: crowded, inputLength: 8192, outputLength: 1024).point.outputPerGPU * 0.999)
    }
}

extension ServingOptionTests {
    /// Each attention-DP rank of a vLLM or TRT-LLM replica schedules its own steps with the whole token budget; SGLang's ranks
    /// share one. DeepSeek-R1 on 8 GB200s at DP 8 with MTP decodes 3.2 tokens a step, so 1,024 users ask for 3 prompts of
    /// 8,192 tokens a step: one budget of 8,192 for all eight ranks starved the prefill (TPOT 20.5 ms simulated against the
    /// formula's 64.7, with most users queued); eight budgets keep every user decoding, as the formula does.
    @Test func eachAttentionRankHasItsOwnTokenBudget() throws {
        let d = try deployment("deepseek-r1", "gb200", .fp4, Parallelism(tensor: 1, attentionData: 8, expertTensor: 8))
        let model = PerformanceModel(deployment: d)
        let mtp = try ServingOptions(speculation: try Speculation(drafter: .mtp, draftTokens: 3, acceptance: 0.85))
        #expect(SchedulingPolicy.decodesFirst.budgetPerAttentionRank && SchedulingPolicy.sharedTokenBudget.budgetPerAttentionRank)
        #expect(!SchedulingPolicy.prefillFirst.budgetPerAttentionRank)
        let simulated = model.simulateClosedLoop(concurrency: 1024, inputLength: 8192, outputLength: 1024, policy: .decodesFirst, options: mtp)
        let formula = model.aggregated(concurrency: 1024, inputLength: 8192, outputLength: 1024, options: mtp).point
        #expect(abs(simulated.point.tpotMilliseconds / formula.tpotMilliseconds - 1) < 0.1,
                "simulated \(simulated.point.tpotMilliseconds) ms, formula \(formula.tpotMilliseconds) ms")
    }

    /// The simulation runs the same options: MTP emits its mean accepted tokens per decode step, so it speeds TPOT up as the
    /// formula's MTP does (within 10%; the two differ on how much prefill lands in decode steps, with or without MTP); a prefix
    /// hit prefills only the uncached part of each prompt (TTFT down).
    @Test func theSimulationRunsMTPAndPrefixHits() throws {
        let d = try deployment("deepseek-r1", "h200", .fp8, Parallelism(tensor: 8, expert: 8))
        let model = PerformanceModel(deployment: d)
        let mtp = try ServingOptions(speculation: try Speculation(drafter: .mtp, draftTokens: 1, acceptance: 0.85))
        let plain = model.simulateClosedLoop(concurrency: 8, inputLength: 1024, outputLength: 256, policy: .decodesFirst)
        let fast = model.simulateClosedLoop(concurrency: 8, inputLength: 1024, outputLength: 256, policy: .decodesFirst, options: mtp)
        let simulated = plain.point.tpotMilliseconds / fast.point.tpotMilliseconds
        let formula = model.aggregated(concurrency: 8, inputLength: 1024, outputLength: 256).point.tpotMilliseconds
            / model.aggregated(concurrency: 8, inputLength: 1024, outputLength: 256, options: mtp).point.tpotMilliseconds
        #expect(simulated > 1.3 && abs(simulated / formula - 1) < 0.1, "simulated speed-up \(simulated), formula's \(formula)")
        let cached = model.simulateClosedLoop(concurrency: 8, inputLength: 8192, outputLength: 256, policy: .decodesFirst,
                                              options: try ServingOptions(prefixHitRate: 0.75))
        let uncached = model.simulateClosedLoop(concurrency: 8, inputLength: 8192, outputLength: 256, policy: .decodesFirst)
        #expect(cached.point.ttftMilliseconds < 0.6 * uncached.point.ttftMilliseconds, "\(cached.point.ttftMilliseconds) against \(uncached.point.ttftMilliseconds)")
    }

    /// KV offload in the simulation: more users than HBM's KV cache holds run at once (none preempted, more tokens per GPU),
    /// each decode step paying for the KV it reads from host memory (TPOT up).
    @Test func theSimulationOffloadsKVBeyondHBM() throws {
        let d = try deployment("llama-3.1-70b", "h100", .fp8, Parallelism(tensor: 2))
        let model = PerformanceModel(deployment: d)
        let capacity = model.kvCapacityTokens()
        let users = 2 * capacity / (8192 + 1024)  // twice what HBM holds at full context
        let plain = model.simulateClosedLoop(concurrency: users, inputLength: 8192, outputLength: 256, policy: .decodesFirst, requests: users)
        let offload = model.simulateClosedLoop(concurrency: users, inputLength: 8192, outputLength: 256, policy: .decodesFirst,
                                               options: try ServingOptions(kvOffload: true), requests: users)
        #expect(offload.meanRunning > 1.3 * plain.meanRunning, "running \(offload.meanRunning) against \(plain.meanRunning)")
        #expect(offload.preemptions <= plain.preemptions)
        #expect(offload.point.tpotMilliseconds > plain.point.tpotMilliseconds)
    }
}

@Suite struct DisaggregatedTests {
    func serving(_ prefill: Parallelism, _ decode: Parallelism) throws -> DisaggregatedServing {
        DisaggregatedServing(prefill: PerformanceModel(deployment: try deployment("deepseek-r1", "h200", .fp8, prefill)),
                             decode: PerformanceModel(deployment: try deployment("deepseek-r1", "h200", .fp8, decode)))
    }

    @Test func rateMatchingFollowsTheSlowerPool() throws {
        let s = try serving(Parallelism(tensor: 8, expert: 8), Parallelism(tensor: 1, attentionData: 8, expert: 8))
        let p = s.prefillPool(inputLength: 8192, batch: 1)
        let d = s.decodePool(concurrency: 256, inputLength: 8192, outputLength: 1024)
        #expect(p.fits && d.fits)
        // One decode worker at 256 users asks for more prompts than one prefill worker can give: prefill-limited.
        let decodeAt = { s.decodePool(concurrency: $0, inputLength: 8192, outputLength: 1024) }
        let decodeFed = { DisaggregatedServing.decodeOccupancy(rate: $0, from: d, decodeAt: decodeAt) }
        let starved = DisaggregatedServing.combine(prefill: p, prefillWorkers: 1, decode: d, decodeWorkers: 4, transfer: 0.001,
                                                   concurrency: 1024, inputLength: 8192, outputLength: 1024, requestMilliseconds: 0,
                                                   decodeFed: decodeFed)
        #expect(starved.limitedBy == "prefill")
        #expect(abs(starved.requestsPerSecond - p.requestsPerSecond) < 1e-9)
        // The users the prefill pool cannot serve wait in front of it: each decode worker holds rate × decode time of them
        // (Little's law at its own TPOT), fewer than its 256, and decodes faster for it; the whole loop still holds 1,024.
        let held = p.requestsPerSecond / 4 * 1024 * starved.point.tpotMilliseconds / 1000
        #expect(held < 256 && abs(Double(decodeAt(Int(held.rounded(.up))).tpot) * 1000 - starved.point.tpotMilliseconds) < 1e-9)
        #expect(starved.point.tpotMilliseconds < d.tpot * 1000)
        let decoding = 4 * held, waiting = starved.requestsPerSecond * starved.point.ttftMilliseconds / 1000
        #expect(abs(decoding + waiting - 1024) < 1024 * 0.01, "\(decoding) decoding + \(waiting) waiting")
        // Enough prefill workers: the decode pool sets the rate, and users no longer wait for a prefill slot.
        let fed = DisaggregatedServing.combine(prefill: p, prefillWorkers: 8, decode: d, decodeWorkers: 1, transfer: 0.001,
                                               concurrency: 256, inputLength: 8192, outputLength: 1024, requestMilliseconds: 0,
                                               decodeFed: decodeFed)
        #expect(fed.limitedBy == "decode")
        #expect(fed.point.ttftMilliseconds < starved.point.ttftMilliseconds)
        #expect(fed.gpus == 8 * 8 + 8)
        #expect(abs(fed.point.outputPerGPU - fed.requestsPerSecond * 1024 / 72) < 1e-9)
    }

    /// Where the prefill pool limits the rate, the formula's occupancy fixed point and the simulated pools agree: DeepSeek-R1
    /// on GB200 at FP4, ISL 8192 / OSL 1024, 4 prefill workers (TP4) feeding 1 decode worker (DP8), 1,024 users. Before the
    /// fixed point the formula kept all 1,024 in the decode batch: TPOT 19.7 ms and TTFT 10.7 s against the simulation's
    /// 15.1 ms and 15.3 s.
    @Test func aPrefillLimitedLoopAgreesWithItsSimulation() throws {
        let s = DisaggregatedServing(prefill: PerformanceModel(deployment: try deployment("deepseek-r1", "gb200", .fp4, Parallelism(tensor: 4, expertTensor: 4))),
                                     decode: PerformanceModel(deployment: try deployment("deepseek-r1", "gb200", .fp4,
                                                                                         Parallelism(tensor: 1, attentionData: 8, expertTensor: 8))))
        let formula = s.predict(concurrency: 1024, inputLength: 8192, outputLength: 1024, prefillWorkers: 4, decodeWorkers: 1)
        let simulated = s.simulateClosedLoop(concurrency: 1024, inputLength: 8192, outputLength: 1024, prefillWorkers: 4, decodeWorkers: 1,
                                             policy: .decodesFirst)
        #expect(formula.limitedBy == "prefill")
        let ttft = formula.point.ttftMilliseconds / simulated.point.ttftMilliseconds
        let tpot = formula.point.tpotMilliseconds / simulated.point.tpotMilliseconds
        #expect(abs(ttft - 1) < 0.05 && abs(tpot - 1) < 0.05, "TTFT ×\(ttft), TPOT ×\(tpot)")
    }

    /// The KV transfer uses the scale-up fabric while both pools share one NVLink domain and the NICs beyond it.
    @Test func kvTransferCrossesTheScaleOutFabricOnlyBeyondTheDomain() throws {
        let s = try serving(Parallelism(tensor: 4, expert: 4), Parallelism(tensor: 4, expert: 4))
        let inside = s.transferSeconds(inputLength: 8192, totalGPUs: 8)
        let outside = s.transferSeconds(inputLength: 8192, totalGPUs: 16)
        let bytes = try models.model("deepseek-r1").kvBytes(context: 8192, bytesPerElement: 1)
        #expect(abs(inside - (10e-6 + bytes / 4 / 450e9)) < 1e-9)
        #expect(abs(outside - (10e-6 + bytes / 4 / 50e9)) < 1e-9)
    }

    @Test func disaggregatedRowsWithWorkerCountsArePredicted() throws {
        let csv = """
            id,silicon_data_source,model_path,system,backend,mode,precision,isl,osl,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,moe_ep_size,prefill_batch_size,prefill_num_workers,prefill_tp_size,prefill_pp_size,prefill_attention_dp_size,prefill_moe_tp_size,prefill_moe_ep_size,decode_batch_size,decode_num_workers,decode_tp_size,decode_pp_size,decode_attention_dp_size,decode_moe_tp_size,decode_moe_ep_size,silicon_ttft_ms,silicon_tpot_ms
            d1,x; silicon_concurrency=64,deepseek-ai/DeepSeek-R1,h200_sxm,sglang,disagg,fp8,8192,1024,,,,,,,1,1,8,1,1,8,1,8,1,1,1,8,1,8,2026,34.7
            d2_c64_x,x,deepseek-ai/DeepSeek-R1,h200_sxm,sglang,disagg,fp8,8192,1024,,,,,,,,,,,,,,,,,,,,,2026,34.7
            d3,x; silicon_concurrency=32,deepseek-ai/DeepSeek-R1,h200_sxm,sglang,disagg,fp8,8192,1024,,,,,,,,,8,1,1,1,8,,,8,1,1,1,8,1900,30.1
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tm-disagg-\(UUID().uuidString).csv")
        try csv.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let rows = try MeasuredData.read(path: file.path)
        #expect(rows[0].concurrency == 64)
        #expect(rows[0].disaggregated?.decode == Parallelism(tensor: 1, attentionData: 8, expert: 8))
        // A row with layouts but no worker counts is predicted under the stated assumption, and says so.
        // c=32 over decode workers of round(0.95 · 32^0.57) = 7 streams per attention rank (one rank each): five decode workers,
        // and round(5 / 3) = 2 prefill workers.
        #expect(DisaggregatedLayout.assumedDecodeBatch(concurrency: 32) == 7 && DisaggregatedLayout.assumedDecodeBatch(concurrency: 140) == 16)
        #expect(rows[2].disaggregated?.assumption == DisaggregatedLayout.assumedWorkers)
        #expect(rows[2].disaggregated?.decodeWorkers == 5 && rows[2].disaggregated?.prefillWorkers == 2)
        let report = Validator(models: models, hardware: gpus).validate(rows)
        #expect(report.predicted == 2)
        #expect(report.unpredictable.keys.contains { $0.contains("without prefill and decode layouts") })
        #expect(report.breakdown["layout"]?["worker counts assumed"]?.rows == 1)
        let p = try #require(report.predictions.first)
        #expect(p.ttftMilliseconds > 0 && p.tpotMilliseconds > 0)
    }
}

@Suite struct SearchTests {
    /// DeepSeek-R1 on GB200 NVL72: the search covers well over 10,000 configurations, keeps only layouts that fit, and its
    /// answer meets the SLO and lies on (or under) the front. Its speed is shown by scripts/bench-search, not timed here.
    @Test func searchFindsAFrontAndTheBestConfigurationThatMeetsTheSLO() async throws {
        let search = ConfigurationSearch(
            model: try models.model("deepseek-r1"), hardware: try HardwareSpec(try gpus.gpu("gb200")), precision: .fp4, efficiency: .prior,
            options: .none, inputLength: 8192, outputLength: 1024, ttftLimitMilliseconds: 2000, tpotLimitMilliseconds: 50)
        // CPU-heavy: on a Dispatch thread, not the two-wide cooperative pool other tests share.
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: search.run()) }
        }
        #expect(result.enumerated >= 10_000)
        #expect(result.evaluated >= 10_000)
        #expect(result.rejectedByMemory > 0)  // one GB200 cannot hold 671B parameters at FP4
        let best = try #require(result.best)
        #expect(best.meetsSLO && best.point.ttftMilliseconds <= 2000 && best.point.tpotMilliseconds <= 50)
        #expect(result.front.count >= 3)
        for (a, b) in zip(result.front, result.front.dropFirst()) {
            // Along the front, more interactivity costs throughput per GPU.
            #expect(a.point.interactivity <= b.point.interactivity && a.point.outputPerGPU >= b.point.outputPerGPU)
        }
        #expect(!result.front.contains { $0.point.outputPerGPU > best.point.outputPerGPU && $0.meetsSLO })
        #expect(result.front.contains { $0.mode == "disagg" } || result.front.contains { $0.mode == "agg" })
        #expect(best.gpus <= 72)
    }

    /// With the front simulated, each configuration on it — aggregated through the scheduler, disaggregated through both pools —
    /// carries the simulation's distributions, and its SLO verdict comes from the percentile the SLO names.
    @Test func theFrontIsSimulatedAndItsSLOCheckedOnTheSimulatedPercentile() async throws {
        var search = ConfigurationSearch(
            model: try models.model("llama-3.1-8b"), hardware: try HardwareSpec(try gpus.gpu("h100")), precision: .fp8, efficiency: .prior,
            options: .none, inputLength: 1024, outputLength: 128, ttftLimitMilliseconds: 200, tpotLimitMilliseconds: 20, maxGPUs: 2)
        search.concurrencies = [1, 4, 16, 64]
        search.simulateFront = true
        search.ttftPercentile = 99
        search.policy = .prefillFirst
        let configured = search
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: configured.run()) }
        }
        let aggregated = result.front.filter { $0.mode == "agg" }
        #expect(!aggregated.isEmpty)
        for x in result.front {
            #expect((x.mode == "agg") == (x.layout != nil) && (x.mode == "disagg") == (x.pools != nil), "\(x.label)")
            let outcome = try #require(x.simulated, "\(x.label)")
            let ttft = try #require(outcome.ttft), tpot = try #require(outcome.tpot)
            #expect(ttft.p99 >= ttft.p50 && tpot.p50 > 0)
            #expect(x.meetsSLO == (ttft.p99 <= 200 && tpot.p50 <= 20), "\(x.label): TTFT p99 \(ttft.p99), TPOT p50 \(tpot.p50)")
        }
        // The best is simulated too; where the formula's best misses the SLO simulated, the front's best that meets it stands in.
        let best = try #require(result.best)
        #expect(best.simulated != nil)
        if let down = result.turnedDown {
            #expect(!down.meetsSLO && best.meetsSLO && result.front.contains { $0.label == best.label }, "\(down.label) → \(best.label)")
        }
    }

    /// The engine's per-request cost lands on every configuration's TTFT, aggregated or disaggregated, and on nothing else: a
    /// search with 100 ms of it finds the same front, each TTFT 100 ms later.
    @Test func theSearchAddsThePerRequestCostToEveryConfiguration() async throws {
        func front(_ requestMilliseconds: Double) async throws -> [SearchedConfiguration] {
            var efficiency = Efficiency.prior
            efficiency.requestMilliseconds = requestMilliseconds
            var search = ConfigurationSearch(
                model: try models.model("llama-3.1-8b"), hardware: try HardwareSpec(try gpus.gpu("h100")), precision: .fp8, efficiency: efficiency,
                options: .none, inputLength: 1024, outputLength: 128, ttftLimitMilliseconds: nil, tpotLimitMilliseconds: nil, maxGPUs: 4)
            search.concurrencies = [1, 4, 16, 64]
            let configured = search
            return await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: configured.run().front) }
            }
        }
        let plain = try await front(0), costly = try await front(100)
        #expect(plain.map(\.label) == costly.map(\.label) && plain.contains { $0.mode == "disagg" } && plain.contains { $0.mode == "agg" })
        for (a, b) in zip(plain, costly) {
            #expect(abs(b.point.ttftMilliseconds - a.point.ttftMilliseconds - 100) < 1e-6, "\(a.label)")
            #expect(a.point.tpotMilliseconds == b.point.tpotMilliseconds && a.point.outputPerGPU == b.point.outputPerGPU, "\(a.label)")
        }
    }

    /// Llama-3.1-8B on up to 2 H100s, TTFT p99 ≤ 100 ms: the formula's best (one GPU at 64 users) meets it on its median but
    /// its simulated p99 does not; the front's best that meets it simulated is chosen instead, and the first is named.
    @Test func theFormulasBestGivesWayWhenItsSimulationMissesTheSLO() async throws {
        var search = ConfigurationSearch(
            model: try models.model("llama-3.1-8b"), hardware: try HardwareSpec(try gpus.gpu("h100")), precision: .fp8, efficiency: .prior,
            options: .none, inputLength: 1024, outputLength: 128, ttftLimitMilliseconds: 100, tpotLimitMilliseconds: 20, maxGPUs: 2)
        search.concurrencies = [1, 4, 16, 32, 64, 128]
        search.disaggregated = false
        search.simulateFront = true
        search.ttftPercentile = 99
        let configured = search
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: configured.run()) }
        }
        let down = try #require(result.turnedDown)
        let best = try #require(result.best)
        let downTTFT = try #require(down.simulated?.ttft), bestTTFT = try #require(best.simulated?.ttft)
        #expect(!down.meetsSLO && down.point.ttftMilliseconds <= 100 && downTTFT.p99 > 100, "\(down.label): \(downTTFT)")
        #expect(best.meetsSLO && bestTTFT.p99 <= 100 && result.front.contains { $0.label == best.label }, "\(best.label): \(bestTTFT)")
        #expect(!result.front.contains { $0.meetsSLO && $0.simulated!.point.outputPerGPU > best.simulated!.point.outputPerGPU })
    }
}

@Suite struct CalibrationStoreTests {
    /// The fit tokenmeter ships: one per engine over both Hopper GPUs' rows, each with the band measured leaving a GPU out.
    @Test func theBuiltInFitCoversEachEngineOfTheHopperData() throws {
        let fits = try Calibration.builtIn()
        #expect(fits.map(\.engine).sorted() == ["sglang", "trtllm", "vllm"])
        for fit in fits {
            #expect(fit.isEngineWide && fit.systems == ["h100", "h200"] && fit.points > 100 && fit.source == "measured-hopper.csv", "\(fit.engine)")
            #expect(fit.heldOutBand != nil && fit.band != nil && fit.efficiency.simulatedRequestMilliseconds != nil, "\(fit.engine)")
        }
    }

    @Test func choosesMeasuredThenFamilyThenAnyGPUThenPriors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-cal-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = CalibrationStore(directory: dir)
        let h100 = try HardwareSpec(try gpus.gpu("h100"))
        let h200 = try HardwareSpec(try gpus.gpu("h200"))
        let b200 = try HardwareSpec(try gpus.gpu("b200"))
        #expect(try store.choose(hardware: h100, engine: "vllm", precision: .fp8).provenance == "prior")
        var fitted = Efficiency.prior
        fitted.memory = 0.66
        try store.save(Calibration(hardware: "h100", family: h100.family, engine: "vllm", precision: .fp8, efficiency: fitted, band: nil,
                                   source: "run.json", points: 8, fittedAt: "2026-12-02T00:00:00Z"))
        let own = try store.choose(hardware: h100, engine: "vllm", precision: .fp8)
        #expect(own.provenance == "measured" && own.efficiency.memory == 0.66)
        let kin = try store.choose(hardware: h200, engine: nil, precision: .fp8)
        #expect(kin.provenance == "transferred" && kin.efficiency.memory == 0.66 && kin.description.contains("h100"))
        // Another generation, or another precision: the same engine's coefficients, carried by the datasheet terms.
        let blackwell = try store.choose(hardware: b200, engine: "vllm", precision: .fp8)
        #expect(blackwell.provenance == "transferred" && blackwell.efficiency.memory == 0.66 && blackwell.description.contains("datasheet terms from h100"))
        #expect(try store.choose(hardware: h100, engine: "vllm", precision: .fp4).provenance == "transferred")
        // No fit of that engine anywhere: the priors.
        #expect(try store.choose(hardware: h200, engine: "sglang", precision: .fp8).provenance == "prior")
        // The built-in fit comes after everything in the store and before the priors: measured (its own band) on a GPU among its
        // rows, transferred (the band measured on held-out GPUs) elsewhere.
        func band(_ p: Int) throws -> ErrorBand {
            try JSONDecoder().decode(ErrorBand.self, from: Data(#"{"ttft_median_pct":\#(p),"ttft_p90_pct":\#(p),"tpot_median_pct":\#(p),"tpot_p90_pct":\#(p),"rows":10}"#.utf8))
        }
        let inSample = try band(20), heldOut = try band(40)
        var shipped = Efficiency.prior
        shipped.memory = 0.7
        let builtIn = [Calibration(hardware: "h100+h200", family: "hopper", engine: "sglang", precision: nil, efficiency: shipped, band: inSample,
                                   heldOutBand: heldOut, source: "measured-hopper.csv", points: 10, fittedAt: "2026-12-06T00:00:00Z")]
        let seen = try store.choose(hardware: h200, engine: "sglang", precision: .fp8, builtIn: builtIn)
        #expect(seen.provenance == "measured" && seen.efficiency.memory == 0.7 && seen.band == inSample && !seen.bandHeldOut)
        #expect(seen.description.hasPrefix("built-in fit"))
        let unseen = try store.choose(hardware: b200, engine: "sglang", precision: .fp4, builtIn: builtIn)
        #expect(unseen.provenance == "transferred" && unseen.band == heldOut && unseen.bandHeldOut)
        #expect(try store.choose(hardware: h100, engine: "vllm", precision: .fp8, builtIn: builtIn).efficiency.memory == 0.66)
        #expect(try store.choose(hardware: h100, engine: "trtllm", precision: .fp8, builtIn: builtIn).provenance == "prior")
        // A file that is not a calibration is named, not skipped.
        try "{}".write(toFile: dir + "/broken.json", atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try store.all() }
    }
}
