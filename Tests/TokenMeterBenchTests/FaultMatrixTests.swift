import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterModel
import TokenMeterDialects
import TokenMeterTarget
import TokenMeterWorkloads

/// Every injectable fault under load: the client never hangs or crashes, every request is accounted for exactly once
/// with the right error class, and the metrics count failures where they belong.
@Suite(.serialized) struct FaultMatrixTests {
    static let cases: [(Fault, Set<ErrorKind>)] = [
        (.http429, [.rateLimited]), (.http500, [.httpStatus]), (.http503, [.overloaded]), (.http529, [.overloaded]),
        (.resetBeforeHeaders, [.reset]), (.resetMidStream, [.reset]), (.malformedFrame, [.malformed]),
        (.cutWithoutDone, [.malformed]), (.stall, [.timeout]), (.slowHeaders, []), (.wrongContentType, [.malformed]),
        (.oversizedEvent, [.malformed]), (.errorMidStream, [.serverError]), (.lyingUsage, []),
        (.lyingUsageLow, []),
    ]

    /// Serialized: twelve cases of 200 streams at once would starve two cores and turn slow reads into timeouts.
    @Test(.serialized, arguments: cases)
    func faultUnderLoad(_ fault: Fault, _ expected: Set<ErrorKind>) async throws {
        let streams = 200
        let total = 400
        let plan = FaultPlan(probabilities: [fault: 0.3], slowHeadersMilliseconds: 100, oversizedEventBytes: 256 << 10)
        let target = try await ReferenceTarget.start(TargetConfiguration(
            timing: ParametricStepTime(fixedMilliseconds: 2, perSequenceMilliseconds: 0.005), faults: plan))
        // Only the stall needs a short read timeout; elsewhere a generous one keeps a loaded machine from faking timeouts.
        let client = StreamingHTTPClient(host: "127.0.0.1", port: target.port,
                                         timeouts: ClientTimeouts(readSeconds: fault == .stall ? 1 : 10, totalSeconds: 30), maxEventBytes: 64 << 10)
        let address = EndpointAddress(host: "127.0.0.1", port: target.port)
        let options = RequestOptions(api: .completions, model: "m")
        let workload = try await WorkloadGenerator(source: .synthetic, inputLength: .fixed(16), outputLength: .fixed(8), seed: 3).plan(count: total)
        let prepared = workload.map { RequestBuilder.request(prompt: $0.prompt, maxTokens: $0.maxTokens, options: options, address: address) }
        let start = MonotonicClock.nowNanoseconds()
        let run = await LoadRunner(client: client, streamed: true).run(
            mode: .concurrency(streams), plan: workload, prepared: prepared,
            bounds: PointBounds(warmupRequests: 0, measuredRequests: total, drainTimeoutSeconds: 30, maxPointSeconds: 60), seed: 1)
        let seconds = Double(MonotonicClock.nowNanoseconds() - start) / 1e9
        await client.shutdown()
        await target.stop()

        // Nothing hangs: the run ends before the point's own hard limit (60 s). A loaded two-core machine has taken 47 s.
        #expect(seconds < 60, "\(fault): the run took \(seconds) s")
        #expect(run.records.map(\.id) == Array(0..<total), "\(fault): every request exactly once")
        let failed = run.records.filter { !$0.succeeded }
        let kinds = Set(failed.compactMap { $0.failure?.kind })
        #expect(kinds.isSubset(of: expected), "\(fault): unexpected classes \(kinds.subtracting(expected))")
        if !expected.isEmpty { #expect(failed.count > 40, "\(fault): only \(failed.count) failures at p=0.3 of \(total)") }
        #expect(failed.count < 200)
        for record in run.records where record.succeeded { #expect(record.outputTokens == 8) }
        let metrics = PointMetrics.compute(records: run.records, window: run.window)
        #expect(metrics.requestsSucceeded + metrics.requestsFailed == total)
        #expect(metrics.errorsByKind.values.reduce(0, +) == failed.count)
        if [.resetMidStream, .malformedFrame, .errorMidStream, .cutWithoutDone].contains(fault) {
            #expect(metrics.failedRequestOutputTokens > 0, "\(fault): tokens streamed before the fault are paid for, not delivered")
        }
        if fault == .slowHeaders { #expect((metrics.ttftMs?.p90 ?? 0) >= 100) }
        if fault == .lyingUsage {
            // Delivered means received: a usage that claims 80 tokens for an 8-token stream is flagged, counts 8, and the
            // other 72 are billed but not delivered.
            let lying = run.records.filter(\.usageExceedsStream)
            #expect(lying.count > 40 && lying.allSatisfy { $0.usage?.completionTokens == 80 && $0.outputTokens == 8 && $0.billedNotDeliveredTokens == 72 })
            #expect(metrics.usageExceedsStreamRequests == lying.count && metrics.billedNotDeliveredTokens == 72 * lying.count)
            #expect(metrics.usageBelowStreamRequests == nil)
        }
        if fault == .lyingUsageLow {
            // And the other way: a usage of 2 tokens for an 8-token stream counts 8, 6 delivered but not billed.
            let low = run.records.filter(\.usageBelowStream)
            #expect(low.count > 40 && low.allSatisfy { $0.usage?.completionTokens == 2 && $0.outputTokens == 8 && $0.deliveredNotBilledTokens == 6 })
            #expect(metrics.usageBelowStreamRequests == low.count && metrics.deliveredNotBilledTokens == 6 * low.count)
            #expect(metrics.usageExceedsStreamRequests == nil && metrics.outputTokensSucceeded == 8 * metrics.requestsSucceeded)
        }
        if fault != .lyingUsageLow { #expect(run.records.allSatisfy { !$0.usageBelowStream }, "\(fault): an honest usage was flagged") }
    }

    /// The same faults in the other streaming dialects, each written as that dialect writes it (an Anthropic `error` event,
    /// a Responses `response.failed`, error bodies in the dialect's shape), with fewer requests each.
    static let dialectCases: [(Fault, APIKind)] = Fault.allCases.flatMap { fault in [APIKind.chat, .responses, .anthropic].map { (fault, $0) } }

    @Test(.serialized, arguments: dialectCases)
    func faultInEveryDialect(_ fault: Fault, _ api: APIKind) async throws {
        let total = 120
        var expected = Set(Self.cases.first { $0.0 == fault }!.1)
        if fault == .errorMidStream, api == .anthropic { expected = [.overloaded] }  // Anthropic's mid-stream error is overloaded_error
        let plan = FaultPlan(probabilities: [fault: 0.3], slowHeadersMilliseconds: 100, oversizedEventBytes: 256 << 10)
        let target = try await ReferenceTarget.start(TargetConfiguration(
            timing: ParametricStepTime(fixedMilliseconds: 2, perSequenceMilliseconds: 0.005), faults: plan, reasoningTokens: 2))
        let client = StreamingHTTPClient(host: "127.0.0.1", port: target.port,
                                         timeouts: ClientTimeouts(readSeconds: fault == .stall ? 1 : 10, totalSeconds: 30), maxEventBytes: 64 << 10)
        let address = EndpointAddress(host: "127.0.0.1", port: target.port)
        let options = RequestOptions(api: api, model: "m")
        let workload = try await WorkloadGenerator(source: .synthetic, inputLength: .fixed(16), outputLength: .fixed(8), seed: 3).plan(count: total)
        let prepared = workload.map { RequestBuilder.request(prompt: $0.prompt, maxTokens: $0.maxTokens, options: options, address: address) }
        let run = await LoadRunner(client: client, streamed: true, api: api).run(
            mode: .concurrency(40), plan: workload, prepared: prepared,
            bounds: PointBounds(warmupRequests: 0, measuredRequests: total, drainTimeoutSeconds: 30, maxPointSeconds: 60), seed: 1)
        await client.shutdown()
        await target.stop()

        #expect(run.records.map(\.id) == Array(0..<total), "\(fault) \(api): every request exactly once")
        let failed = run.records.filter { !$0.succeeded }
        let kinds = Set(failed.compactMap { $0.failure?.kind })
        #expect(kinds.isSubset(of: expected), "\(fault) \(api): unexpected classes \(kinds.subtracting(expected))")
        if !expected.isEmpty { #expect(failed.count > 10, "\(fault) \(api): only \(failed.count) failures at p=0.3 of \(total)") }
        if fault == .lyingUsageLow || fault == .lyingUsage {
            let flagged = run.records.filter { fault == .lyingUsage ? $0.usageExceedsStream : $0.usageBelowStream }
            #expect(flagged.count > 10, "\(fault) \(api): only \(flagged.count) flagged at p=0.3 of \(total)")
        }
        for record in run.records where record.succeeded {
            #expect(record.outputTokens == 8 && record.reasoningTokens == 2, "\(fault) \(api)")
            // Only the faulted requests lie, and each only its own way.
            #expect((!record.usageBelowStream || fault == .lyingUsageLow) && (!record.usageExceedsStream || fault == .lyingUsage), "\(fault) \(api)")
        }
        let metrics = PointMetrics.compute(records: run.records, window: run.window)
        #expect(metrics.requestsSucceeded + metrics.requestsFailed == total)
        if [.resetMidStream, .malformedFrame, .errorMidStream, .cutWithoutDone].contains(fault) {
            #expect(metrics.failedRequestOutputTokens > 0, "\(fault) \(api): tokens streamed before the fault are kept as undelivered")
        }
    }

    @Test func faultPlansParseAndNameBadInput() throws {
        let plan = try FaultPlan(parsing: "http-503=0.05,stall")
        #expect(plan.probabilities == [.http503: 0.05, .stall: 1])
        #expect(try #require(throws: ConfigError.self) { try FaultPlan(parsing: "explode=0.1") }.message.contains("unknown fault"))
        #expect(throws: ConfigError.self) { try FaultPlan(parsing: "stall=2") }
    }
}
