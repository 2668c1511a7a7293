import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterTarget

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
    let model = StepTimeModel(fixedMilliseconds: stepMilliseconds, perSequenceMilliseconds: 0.005, perContextTokenMicroseconds: 0,
                              perPrefillTokenMicroseconds: 0.5)
    let target = try await ReferenceTarget.start(TargetConfiguration(maxBatch: max(256, streams), stepModel: model, recordGroundTruth: true))
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
/// test shares the two cores; the tolerances are the ones docs/metrics.md states, with headroom for a debug build.
@Suite(.serialized) struct TimingAccuracy {
    @Test func oneStream() async throws {
        let report = try await measureAccuracy(streams: 1, rounds: 8, outputTokens: 64, stepMilliseconds: 5)
        print("timing accuracy: \(report)")
        #expect(report.tokenCountMismatches == 0)
        #expect(report.ttftError.p50 < 0.5 && report.ttftError.p99 < 5)
        #expect(report.gapError.p50 < 0.5 && report.gapError.p99 < 5)
        #expect(report.e2eError.p50 < 0.5 && report.e2eError.p99 < 5)
    }

    @Test func sixtyFourStreams() async throws {
        let report = try await measureAccuracy(streams: 64, rounds: 2, outputTokens: 64, stepMilliseconds: 10)
        print("timing accuracy: \(report)")
        #expect(report.tokenCountMismatches == 0)
        #expect(report.ttftError.p50 < 3 && report.ttftError.p99 < 20)
        #expect(report.gapError.p50 < 3 && report.gapError.p99 < 20)
        #expect(report.e2eError.p50 < 3 && report.e2eError.p99 < 20)
    }

    @Test func fiveHundredTwelveStreams() async throws {
        let report = try await measureAccuracy(streams: 512, rounds: 1, outputTokens: 32, stepMilliseconds: 40)
        print("timing accuracy: \(report)")
        #expect(report.tokenCountMismatches == 0)
        #expect(report.ttftError.p50 < 10 && report.ttftError.p99 < 50)
        #expect(report.gapError.p50 < 10 && report.gapError.p99 < 50)
        #expect(report.e2eError.p50 < 10 && report.e2eError.p99 < 50)
    }
}
