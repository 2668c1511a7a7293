import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterModel
import TokenMeterDialects
import TokenMeterResults
import TokenMeterTarget
import TokenMeterTestSupport
import TokenMeterWorkloads

/// How far the client's timestamps are from the target's ground truth (when each token was flushed to its socket).
struct AccuracyReport: CustomStringConvertible {
    var streams: Int
    var requests: Int
    var tokenCountMismatches: Int
    var ttftError: Distribution
    var e2eError: Distribution
    var gapError: Distribution

    var description: String {
        func f(_ d: Distribution) -> String { String(format: "p50 %.3f / p99 %.3f ms", d.p50, d.p99) }
        return "\(streams) streams, \(requests) requests: |ΔTTFT| \(f(ttftError)), |ΔE2E| \(f(e2eError)), |Δgap| \(f(gapError)), "
            + "token-count mismatches \(tokenCountMismatches)"
    }
}

/// Runs one closed-loop point against a ground-truth-logging target and compares every token time.
func measureAccuracy(streams: Int, rounds: Int, outputTokens: Int, stepMilliseconds: Double) async throws -> AccuracyReport {
    let model = ParametricStepTime(fixedMilliseconds: stepMilliseconds, perSequenceMilliseconds: 0.005, perContextTokenMicroseconds: 0,
                              perPrefillTokenMicroseconds: 0.5)
    let target = try await ReferenceTarget.start(TargetConfiguration(limits: BatchLimits(maxRunning: max(256, streams)), timing: model, recordGroundTruth: true))
    let client = StreamingHTTPClient(host: "127.0.0.1", port: target.port)
    let options = RequestOptions(api: .completions, model: "m", continuousUsage: true)
    let address = EndpointAddress(host: "127.0.0.1", port: target.port)
    let plan = try await WorkloadGenerator(source: .synthetic, inputLength: .fixed(64), outputLength: .fixed(outputTokens), seed: 5)
        .plan(count: streams * rounds)
    let prepared = plan.map { RequestBuilder.request(prompt: $0.prompt, maxTokens: $0.maxTokens, options: options, address: address) }
    let run = await LoadRunner(client: client, streamed: true).run(
        mode: .concurrency(streams), plan: plan, prepared: prepared,
        bounds: PointBounds(warmupRequests: 0, measuredRequests: streams * rounds, maxPointSeconds: 120), seed: 1, requestIDPrefix: "acc-")
    await client.shutdown()
    let truth = Dictionary(uniqueKeysWithValues: await target.groundTruth().map { ($0.requestID, $0) })
    await target.stop()

    var mismatches = 0
    var ttft: [Double] = []
    var e2e: [Double] = []
    var gaps: [Double] = []
    for record in run.records {
        guard record.succeeded, let gt = truth["acc-\(record.id)"] else { mismatches += 1; continue }
        let events = record.tokenEvents
        guard events.count == gt.tokenNanoseconds.count, record.outputTokens == gt.tokenNanoseconds.count else {
            mismatches += 1
            continue
        }
        func ms(_ a: UInt64, _ b: UInt64) -> Double { abs(Double(Int64(bitPattern: a &- b))) / 1e6 }
        ttft.append(ms(events[0].timeNanoseconds, gt.tokenNanoseconds[0]))
        e2e.append(ms(events[events.count - 1].timeNanoseconds, gt.tokenNanoseconds[events.count - 1]))
        for i in 1..<events.count {
            let client = Int64(events[i].timeNanoseconds - events[i - 1].timeNanoseconds)
            let server = Int64(gt.tokenNanoseconds[i] - gt.tokenNanoseconds[i - 1])
            gaps.append(abs(Double(client - server)) / 1e6)
        }
    }
    return AccuracyReport(streams: streams, requests: run.records.count, tokenCountMismatches: mismatches,
                          ttftError: Distribution(ttft) ?? Distribution([0])!, e2eError: Distribution(e2e) ?? Distribution([0])!,
                          gapError: Distribution(gaps) ?? Distribution([0])!)
}

/// Client timing against ground truth. Runs alone (scripts/test gives it its own `swift test` call) so no other
/// test shares the two cores. Each bound is what the client claims (docs/metrics.md) plus the machine's scheduling noise
/// measured during the same run by a `NoiseProbe`: no retries, no margin guessed for the worst machine.
@Suite(.serialized) struct TimingAccuracy {
    /// Schedule keeping is timing: it runs here, alone on the two cores, not beside CPU-heavy tests of other suites.
    @Test func constantArrivalsKeepTheOfferedRate() async throws {
        let ((result, directory), noise) = try await NoiseProbe.during {
            try await runSession("rate: 40\narrival: constant\nrequests: 40\nwarmup: 0\nisl: 8\nosl: 4")
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let m = result.points[0].metrics
        #expect(m.offeredRequestsPerSecond == 40)
        let achieved = try #require(m.achievedSendRequestsPerSecond)
        // 40 sends over ~1 s: the last send's lateness is the rate's error; the noise may hold it back by its worst.
        let noiseSeconds = noise.delayMs(quantile: 0.99) / 1000
        #expect(abs(achieved - 40) / 40 < 0.05 + noiseSeconds, "achieved \(achieved)/s; \(noise.summary)")
        #expect((m.queueMs?.p99 ?? 99) < 20 + noise.delayMs(quantile: 0.99), "queue p99 \(m.queueMs?.p99 ?? -1) ms; \(noise.summary)")
        #expect(result.points[0].label == "rate=40/s")
    }

    /// A closed loop refills a slot from the event loop that read the end of the slot's last request, so after the first
    /// round a request's schedule lag is the time to write it, whatever else the loop is reading; `--ramp-up` spreads the
    /// first round evenly, and no request is ever sent before its time.
    @Test func aClosedLoopRefillsItsSlotsAtOnceAndRampsUpItsFirstRound() async throws {
        let streams = 64
        let model = ParametricStepTime(fixedMilliseconds: 2, perSequenceMilliseconds: 0.005, perContextTokenMicroseconds: 0, perPrefillTokenMicroseconds: 0.5)
        let target = try await ReferenceTarget.start(TargetConfiguration(limits: BatchLimits(maxRunning: 256), timing: model))
        let client = StreamingHTTPClient(host: "127.0.0.1", port: target.port)
        let options = RequestOptions(api: .completions, model: "m", continuousUsage: true)
        let address = EndpointAddress(host: "127.0.0.1", port: target.port)
        let plan = try await WorkloadGenerator(source: .synthetic, inputLength: .fixed(16), outputLength: .uniform(min: 8, max: 24), seed: 3)
            .plan(count: streams * 6)
        let prepared = plan.map { RequestBuilder.request(prompt: $0.prompt, maxTokens: $0.maxTokens, options: options, address: address) }
        let (run, noise) = await NoiseProbe.during {
            await LoadRunner(client: client, streamed: true).run(
                mode: .concurrency(streams), plan: plan, prepared: prepared,
                bounds: PointBounds(warmupRequests: 0, measuredRequests: streams * 6, maxPointSeconds: 120, rampUpSeconds: 0.64), seed: 1)
        }
        await client.shutdown()
        await target.stop()

        #expect(run.records.count == streams * 6)
        #expect(run.records.filter { !$0.succeeded }.isEmpty)
        // The first round, claimed in slot order: slot k at k × 10 ms.
        let origin = run.records[0].scheduledNanoseconds
        for (k, record) in run.records.prefix(streams).enumerated() {
            #expect(record.scheduledNanoseconds - origin == UInt64(Double(k) * 0.64e9 / Double(streams)))
        }
        let lags = run.records.map { r in Double(Int64(bitPattern: (r.sentNanoseconds ?? 0) &- r.scheduledNanoseconds)) / 1e6 }
        #expect(lags.allSatisfy { $0 >= 0 }, "a request went out before its time")
        let first = try #require(Distribution(Array(lags.prefix(streams))))
        let later = try #require(Distribution(Array(lags.dropFirst(streams))))
        print("schedule lag: first round p50 \(first.p50) / p99 \(first.p99) ms, later p50 \(later.p50) / p99 \(later.p99) ms; \(noise.summary)")
        #expect(first.p50 < 2 + noise.delayMs(quantile: 0.5), "\(noise.summary)")
        #expect(later.p99 < 2 + noise.delayMs(quantile: 0.99), "\(noise.summary)")
    }

    /// (streams, rounds, output tokens, step ms, p50 claim ms, p99 claim ms). The 64-stream case runs six rounds: with two, the
    /// first round's connection set-up and burst start weighed on the median. Token counts must be exact; each error's p50
    /// and p99 must be within the claim plus the noise the probe saw at that quantile during the same run.
    @Test(.serialized, arguments: [(1, 8, 64, 5.0, 0.5, 5.0), (64, 6, 64, 10.0, 3.0, 20.0), (512, 1, 32, 40.0, 10.0, 50.0)])
    func clientTimestampsMatchGroundTruth(_ c: (streams: Int, rounds: Int, tokens: Int, stepMs: Double, p50: Double, p99: Double)) async throws {
        let (report, noise) = try await NoiseProbe.during {
            try await measureAccuracy(streams: c.streams, rounds: c.rounds, outputTokens: c.tokens, stepMilliseconds: c.stepMs)
        }
        let p50 = c.p50 + noise.delayMs(quantile: 0.5)
        let p99 = c.p99 + noise.delayMs(quantile: 0.99)
        print("timing accuracy: \(report); \(noise.summary); bounds p50 \(p50) / p99 \(p99) ms")
        #expect(report.tokenCountMismatches == 0)
        for (name, error) in [("TTFT", report.ttftError), ("gap", report.gapError), ("E2E", report.e2eError)] {
            #expect(error.p50 < p50 && error.p99 < p99,
                    "\(c.streams) streams: |Δ\(name)| p50 \(error.p50) / p99 \(error.p99) ms over the claim plus noise (\(p50) / \(p99) ms); \(noise.summary)")
        }
    }
}
