import Foundation
import Testing
import TokenMeterModel
import TokenMeterResults
import TokenMeterTarget
import TokenMeterTestSupport

/// `tokenmeter compare` with three reference targets of known speeds and cost bases, ranked against hand-computed prices.
/// Its throughputs are timing-sensitive, so it runs apart from the full suite's load ("LoadSensitive").
@Suite(.serialized) struct LoadSensitiveCompareCLI {
    /// Three targets at concurrency 4, ISL 16, OSL 32, so a step of S ms delivers about (16 + 32) × 4 tokens per 32 steps:
    /// 6,000 / S tok/s. A: 16 ms steps on a $1.00/GPU-hour rental → 375 tok/s → $0.741/Mtok. B: 2 ms steps on $2.00 → about
    /// 3,000 tok/s → $0.185/Mtok (timer overheads lower it some). C: an API card at $1 in / $2 out → (16 + 64) / 48 = $1.667.
    /// So by delivered cost B < A < C, while by $/GPU-hour A < B: the rankings disagree, and the report says so.
    @Test func threeTargetsRankedByDeliveredCost() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let a = try await ReferenceTarget.start(TargetConfiguration(timing: ParametricStepTime(fixedMilliseconds: 16, perSequenceMilliseconds: 0)))
        let b = try await ReferenceTarget.start(TargetConfiguration(timing: ParametricStepTime(fixedMilliseconds: 2, perSequenceMilliseconds: 0)))
        let c = try await ReferenceTarget.start(TargetConfiguration(timing: ParametricStepTime(fixedMilliseconds: 4, perSequenceMilliseconds: 0)))
        try "kind: rental\nusd_per_gpu_hour: 1.0\ngpu: h100\n".write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "kind: rental\nusd_per_gpu_hour: 2.0\ngpu: h100\n".write(to: dir.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        try #"{"cards": [{"id": "test/api", "provider": "test", "model": "m", "input": 1.0, "output": 2.0, "verified_on": "2026-12-01"}]}"#
            .write(to: dir.appendingPathComponent("card.json"), atomically: true, encoding: .utf8)
        try """
            concurrency: [4]
            requests: 32
            isl: 16
            osl: 32
            rounds: 2
            slo: tpot_p99=1s
            targets:
              - name: a-slow-cheap-hour
                url: \(a.baseURL)
                profile: \(dir.appendingPathComponent("a.yaml").path)
              - name: b-fast-dear-hour
                url: \(b.baseURL)
                profile: \(dir.appendingPathComponent("b.yaml").path)
              - name: c-api
                url: \(c.baseURL)
                api: chat
                price-card: \(dir.appendingPathComponent("card.json").path)
            """.write(to: dir.appendingPathComponent("targets.yaml"), atomically: true, encoding: .utf8)
        let run = try await tokenmeter(["compare", dir.appendingPathComponent("targets.yaml").path, "-o", dir.appendingPathComponent("out").path],
                                       timeout: 300)
        await a.stop()
        await b.stop()
        await c.stop()
        #expect(run.status == 0, "\(run.stderr)")
        let result = try JSONDecoder().decode(ProviderComparison.self, from: Data(contentsOf: dir.appendingPathComponent("out/compare.json")))
        #expect(result.rankingByDeliveredCost == ["b-fast-dear-hour", "a-slow-cheap-hour", "c-api"], "\(result.targets.map { ($0.name, $0.usdPerMtokBlended) })")
        #expect(result.rankingByGPUHour == ["a-slow-cheap-hour", "b-fast-dear-hour"])
        let byName = Dictionary(uniqueKeysWithValues: result.targets.map { ($0.name, $0) })
        let priceA = try #require(byName["a-slow-cheap-hour"]?.usdPerMtokBlended)
        #expect(abs(priceA - 0.741) / 0.741 < 0.3, "A: \(priceA) against 0.741")
        let priceB = try #require(byName["b-fast-dear-hour"]?.usdPerMtokBlended)
        #expect(priceB > 0.185 * 0.9 && priceB < 0.185 * 2, "B: \(priceB) against 0.185 (overheads only raise it)")
        #expect(abs(try #require(byName["c-api"]?.usdPerMtokBlended) - 80.0 / 48.0) < 1e-9, "the card bills the exact usage")
        #expect(result.targets.allSatisfy { $0.rounds == 2 && $0.requestsFailed == 0 && $0.sloAttainment == 1 })
        #expect(run.stdout.contains("the rankings disagree: by $/GPU-hour a-slow-cheap-hour is cheapest, by delivered $/Mtok b-fast-dear-hour is"))
        let html = try String(contentsOf: dir.appendingPathComponent("out/compare.html"), encoding: .utf8)
        #expect(html.contains("id=\"answer\"") && html.contains("delivered-cost") && html.contains("gpu-hour-cost"))
    }

}

/// Compare files that cannot run stop before any request.
@Suite struct CompareFileTests {
    @Test func aTargetWithoutItsKeyStopsBeforeAnyRequest() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
            concurrency: [2]
            targets:
              - name: here
                url: http://127.0.0.1:9/v1
              - name: there
                url: http://127.0.0.1:9/v1
                api-key-env: TM_NO_SUCH_KEY
            """.write(to: dir.appendingPathComponent("t.yaml"), atomically: true, encoding: .utf8)
        let run = try await tokenmeter(["compare", dir.appendingPathComponent("t.yaml").path, "-o", dir.appendingPathComponent("out").path])
        #expect(run.status == 2 && run.stderr.contains("TM_NO_SUCH_KEY") && run.stderr.components(separatedBy: "\n").filter { !$0.isEmpty }.count == 1,
                "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path), "nothing ran")
        try "targets:\n  - name: one\n    url: http://127.0.0.1:9/v1\n".write(to: dir.appendingPathComponent("one.yaml"), atomically: true, encoding: .utf8)
        let one = try await tokenmeter(["compare", dir.appendingPathComponent("one.yaml").path])
        #expect(one.status == 2 && one.stderr.contains("at least two targets"))
    }
}
