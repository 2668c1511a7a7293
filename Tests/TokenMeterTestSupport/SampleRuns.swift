import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterModel
import TokenMeterDialects
import TokenMeterResults
import TokenMeterTarget
import TokenMeterWorkloads

/// A real measured point: a few requests against the reference target.
public func measuredPoint(index: Int, concurrency: Int = 2, requests: Int = 6) async throws -> (PointResult, [RequestRecord]) {
    let steps = ParametricStepTime(fixedMilliseconds: 1, perSequenceMilliseconds: 0.01, perContextTokenMicroseconds: 0, perPrefillTokenMicroseconds: 0.5)
    let target = try await ReferenceTarget.start(TargetConfiguration(timing: steps))
    let client = StreamingHTTPClient(host: "127.0.0.1", port: target.port)
    let address = EndpointAddress(host: "127.0.0.1", port: target.port)
    let options = RequestOptions(api: .completions, model: "m", continuousUsage: true)
    let plan = try await WorkloadGenerator(source: .synthetic, inputLength: .fixed(32), outputLength: .fixed(8), seed: UInt64(index)).plan(count: requests)
    let prepared = plan.map { RequestBuilder.request(prompt: $0.prompt, maxTokens: $0.maxTokens, options: options, address: address) }
    let mode = LoadMode.concurrency(concurrency)
    let run = await LoadRunner(client: client, streamed: true).run(
        mode: mode, plan: plan, prepared: prepared, bounds: PointBounds(measuredRequests: requests, maxPointSeconds: 30), seed: 1,
        requestIDPrefix: "p\(index)-")
    await client.shutdown()
    await target.stop()
    return (BenchSession.pointResult(index: index, mode: mode, run: run, gpus: 1, objective: nil), run.records)
}

public func emptyResult(model: String = "m") -> RunResult {
    RunResult(schema: "tokenmeter.result/v1",
              provenance: Provenance(toolVersion: "test", targetURL: "http://127.0.0.1:1/v1", targetKind: "external", model: model, serverModels: [model],
                                     host: "h", gpus: 8, startedAt: "2026-12-02T00:00:00Z", promptLengthSource: "approximate"),
              config: RunSettings(), points: [], partial: false, warnings: [])
}
