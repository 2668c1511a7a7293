import Foundation
import Testing
import TokenMeterBench
import TokenMeterCLI
import TokenMeterCore
import TokenMeterModel
import TokenMeterResults
import TokenMeterTarget
import TokenMeterTestSupport

/// Fast engine steps so tests finish quickly: 2 ms per step, tiny per-sequence costs.
let quickSteps = ParametricStepTime(fixedMilliseconds: 2, perSequenceMilliseconds: 0.01, perContextTokenMicroseconds: 0.001, perPrefillTokenMicroseconds: 1)

/// A fresh output folder under the temporary directory.
func scratchDirectory() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("tokenmeter-test-\(UUID().uuidString)")
}

/// Runs a session described in YAML against a fresh reference target (or the given URL).
func runSession(_ yaml: String, target configuration: TargetConfiguration = TargetConfiguration(timing: quickSteps),
                url: String? = nil, environment: [String: String] = [:], cancelAfterCompleted: Int? = nil) async throws -> (RunResult, URL) {
    let target = url == nil ? try await ReferenceTarget.start(configuration) : nil
    do {
        let outcome = try await runSession(yaml, targetURL: url ?? target!.baseURL, isReference: url == nil, environment: environment,
                                           cancelAfterCompleted: cancelAfterCompleted)
        await target?.stop()
        return outcome
    } catch {
        await target?.stop()
        throw error
    }
}

private func runSession(_ yaml: String, targetURL: String, isReference: Bool, environment: [String: String],
                        cancelAfterCompleted: Int?) async throws -> (RunResult, URL) {
    let (plan, settings) = try BenchArguments.plan(yaml: yaml, url: targetURL, environment: environment)
    let directory = scratchDirectory()
    let session = BenchSession(plan: plan, settings: settings, targetKind: isReference ? BenchSession.referenceKind : "external",
                               outputDirectory: directory)
    let progress = ProgressCounters()
    let task = Task { try await session.run(progress: progress) }
    if let cancelAfterCompleted {
        // Cancel once that many requests finished (bounded: 60 s at most), however slow the machine is.
        for _ in 0..<3000 where progress.snapshot.done < cancelAfterCompleted { try await Task.sleep(nanoseconds: 20_000_000) }
        task.cancel()
    }
    return (try await task.value, directory)
}

/// Largest number of requests in flight at once, from their send and completion times.
func peakInFlight(_ records: [RequestRecord]) -> Int {
    var edges: [(UInt64, Int)] = []
    for r in records {
        guard let s = r.sentNanoseconds, let e = r.completedNanoseconds else { continue }
        edges.append((s, 1))
        edges.append((e, -1))
    }
    var current = 0
    var peak = 0
    for (_, d) in edges.sorted(by: { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }) {
        current += d
        peak = max(peak, current)
    }
    return peak
}

@Suite struct SessionIntegrationTests {
    @Test func closedLoopSweepMeasuresExactLengthsAndSavesEverything() async throws {
        let (result, directory) = try await runSession("concurrency: [1, 4]\nrequests: 12\nisl: 32\nosl: 16\ngpus: 2\nslo: ttft_p99=2s,tpot_p99=1s")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.schema == "tokenmeter.result/v1")
        #expect(result.points.count == 2)
        #expect(!result.partial)
        #expect(result.provenance.promptLengthSource == "reference tokenizer")
        #expect(result.provenance.model == "tokenmeter-reference")
        for point in result.points {
            let m = point.metrics
            #expect(m.requestsMeasured == 12)
            #expect(m.requestsSucceeded == 12)
            #expect(m.meanInputTokens == 32)
            #expect(m.meanOutputTokens == 16)
            #expect(m.shortOutputRequests == 0)
            #expect(m.requestsWithoutUsage == 0)
            #expect(m.gpus == 2)
            #expect(abs(m.outputTokensPerSecondPerGPU * 2 - m.outputTokensPerSecond) < 1e-9)
            #expect(m.goodput?.goodRequests == 12)
            #expect(m.goodput?.passed == true)
            #expect((m.ttftMs?.p50 ?? 0) > 1)
        }
        #expect(result.points[0].metrics.requestsTotal == 13)  // one warm-up round at c=1
        #expect(result.points[1].metrics.requestsTotal == 16)
        // The saved files agree with the returned result, and the timeline recomputes it exactly.
        let saved = try RunResult.read(path: directory.appendingPathComponent("result.json").path)
        #expect(saved == result)
        let points = try TimelineReader.read(path: directory.appendingPathComponent("timeline.jsonl").path)
        #expect(TimelineReader.recompute(points) == result.points.map(\.metrics))
    }

    @Test func chatAndNonStreamedRequests() async throws {
        let (chat, d1) = try await runSession("api: chat\nconcurrency: 2\nrequests: 6\nisl: 16\nosl: 8")
        defer { try? FileManager.default.removeItem(at: d1) }
        #expect(chat.points[0].metrics.requestsSucceeded == 6)
        #expect(chat.points[0].metrics.meanOutputTokens == 8)
        let (whole, d2) = try await runSession("stream: false\nconcurrency: 2\nrequests: 6\nisl: 16\nosl: 8")
        defer { try? FileManager.default.removeItem(at: d2) }
        let m = whole.points[0].metrics
        #expect(m.requestsSucceeded == 6)
        #expect(m.tpotMs == nil)
        #expect(m.ttftMs?.p50 == m.e2eMs?.p50)
        #expect(m.meanOutputTokens == 8)
    }

    @Test func concurrencyCapHoldsAndShowsAsScheduleLag() async throws {
        let (result, directory) = try await runSession(
            "rate: 200\narrival: constant\nmax-concurrency: 3\nrequests: 15\nwarmup: 0\nisl: 8\nosl: 20")
        defer { try? FileManager.default.removeItem(at: directory) }
        let records = try TimelineReader.read(path: directory.appendingPathComponent("timeline.jsonl").path)[0].records
        #expect(peakInFlight(records) <= 3)
        #expect((result.points[0].metrics.queueMs?.max ?? 0) > 50)  // requests waited for a slot
    }

    @Test func durationBoundWithCancelEndsOnTime() async throws {
        // The point's end is a timer on the cooperative pool, which the full suite's CPU-bound tests hold for seconds at a
        // time: the probe wakes there too, and its longest delay is the margin.
        let ((result, directory), noise) = try await NoiseProbe.during(.cooperativePool) {
            try await runSession("concurrency: 2\nduration: 500ms\nwarmup: 0\ndrain: cancel\nisl: 8\nosl: 5000")
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let point = result.points[0]
        // The point ends at its bound: its requests are cancelled then (within 250 ms and what the pool was held back), not
        // when 5,000-token requests (20 s at the target's 4 ms steps) would end.
        let records = try TimelineReader.read(path: directory.appendingPathComponent("timeline.jsonl").path)[0].records
        let last = try #require(records.compactMap(\.completedNanoseconds).max())
        let cancelSeconds = Double(Int64(last) - Int64(point.window.endNanoseconds)) / 1e9
        #expect(cancelSeconds < 0.25 + noise.maxDelayMs / 1000, "cancelled \(cancelSeconds) s after the window; \(noise.summary)")
        #expect(point.stoppedBy == "duration reached")
        #expect(point.metrics.errorsByKind["cancelled"] == 2)
        #expect(abs(point.metrics.windowSeconds - 0.5) < 0.1)
        #expect(point.metrics.outputTokensPerSecond > 0)  // tokens streamed inside the window still count
    }

    @Test func drainWaitIsBoundedByItsTimeout() async throws {
        let (result, directory) = try await runSession(
            "concurrency: 2\nduration: 300ms\nwarmup: 0\ndrain: wait\ndrain-timeout: 300ms\nisl: 8\nosl: 5000")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.points[0].stoppedBy.contains("drain timed out"))
        #expect(result.points[0].metrics.errorsByKind["cancelled"] == 2)
    }

    @Test func timeBasedWarmupIsExcluded() async throws {
        let (result, directory) = try await runSession("concurrency: 2\nrequests: 10\nwarmup: 200ms\nisl: 8\nosl: 8")
        defer { try? FileManager.default.removeItem(at: directory) }
        let records = try TimelineReader.read(path: directory.appendingPathComponent("timeline.jsonl").path)[0].records
        #expect(records.contains { $0.phase == .warmup })
        #expect(records.filter { $0.phase == .measured }.count == 10)
        #expect(result.points[0].metrics.requestsMeasured == 10)
    }

    @Test func interruptionKeepsWhatWasMeasuredAndMarksThePartial() async throws {
        // Requests last 1-3 s (200-600 tokens at 5 ms), so requests are in flight whenever the cancel lands, even when a loaded
        // machine takes a few hundred ms to deliver it (with 250 ms requests, one CI run saw all four finish first). Lengths
        // differ so the four slots do not finish in step: with one fixed length, a whole round once ended just before the
        // cancel and the next had not been sent, so nothing was in flight.
        let slow = TargetConfiguration(timing: ParametricStepTime(fixedMilliseconds: 5))
        let (result, directory) = try await runSession("concurrency: [4, 8]\nrequests: 200\nisl: 8\nosl: uniform:200-600", target: slow,
                                                       cancelAfterCompleted: 6)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.partial)
        #expect(result.points.count == 1)
        let point = result.points[0]
        #expect(point.partial)
        #expect(point.stoppedBy == "interrupted")
        #expect(point.metrics.requestsSucceeded > 0)
        #expect(point.metrics.requestsSucceeded < 200)
        #expect((1...4).contains(point.metrics.errorsByKind["cancelled"] ?? 0))  // those in flight when the cancel landed
        let saved = try RunResult.read(path: directory.appendingPathComponent("result.json").path)
        #expect(saved.partial && saved.points.count == 1)
        let timeline = try TimelineReader.read(path: directory.appendingPathComponent("timeline.jsonl").path)
        #expect(timeline[0].records.count == point.metrics.requestsTotal)
    }

    @Test func interruptionBeforeAnyPointIsACancellationNotAnError() async throws {
        // A server that answers nothing: the session is still discovering models when it is cancelled.
        let server = try await ScriptedServer([.stall])
        defer { Task { await server.stop() } }
        let (plan, settings) = try BenchArguments.plan(["--concurrency", "1", "--requests", "1", "--url", "http://127.0.0.1:\(server.port)/v1"])
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let session = BenchSession(plan: plan, settings: settings, targetKind: "external", outputDirectory: directory)
        let task = Task { try await session.run() }
        try await Task.sleep(nanoseconds: 200_000_000)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func unreachableEndpointIsAClearError() async throws {
        let closed = ClosedPort()
        let port = closed.port
        let error = try await #require(throws: BenchError.self) {
            _ = try await runSession("concurrency: 1\nrequests: 1", url: "http://127.0.0.1:\(port)/v1")
        }
        #expect(error.message.contains("cannot reach http://127.0.0.1:\(port)/v1"))
        #expect(error.message.contains("Check --url"))
        withExtendedLifetime(closed) {}
    }

    @Test func sweepStopsWhenEveryRequestFails() async throws {
        let server = try await ScriptedServer([
            .status(200, #"{"data":[{"id":"m"}]}"#), .status(404, "{}"),
            .status(500, #"{"error":{"message":"no such model"}}"#),
        ])
        defer { Task { await server.stop() } }
        let (result, directory) = try await runSession("concurrency: [1, 2]\nrequests: 3\nwarmup: 0", url: "http://127.0.0.1:\(server.port)/v1")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.points.count == 1)
        #expect(result.points[0].metrics.errorsByKind == ["http_status": 3])
        #expect(result.warnings.contains { $0.contains("no such model") && $0.contains("sweep stopped") })
        #expect(result.warnings.contains { $0.contains("approximate") })  // the scripted server has no /tokenize
        #expect(result.provenance.promptLengthSource == "approximate")
    }

    @Test func sharedPrefixAndDatasetWorkloadsRun() async throws {
        let (result, directory) = try await runSession("concurrency: 4\nrequests: 16\nprefix-count: 2\nprefix-tokens: 64\nisl: 16\nosl: 4")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.points[0].metrics.meanInputTokens == 80)
        #expect(result.points[0].metrics.requestsSucceeded == 16)
    }

    @Test func apiKeyIsSentButNeverWritten() async throws {
        let secret = "sk-test-\(UUID().uuidString)"
        let (result, directory) = try await runSession("concurrency: 1\nrequests: 2\nosl: 4\nheader: [\"X-Extra: \(secret)-header\"]",
                                                       environment: ["TOKENMETER_API_KEY": secret])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.points[0].metrics.requestsSucceeded == 2)
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains(secret), "\(file) holds the key")
        }
    }
}

/// The achieved send rate of open-loop arrivals: a client starved of CPU sends late, so it runs apart from the full suite's
/// load ("LoadSensitive"; a loaded phase 1 once saw 45/s of a gamma process at 100/s).
@Suite(.serialized) struct LoadSensitiveArrivalRates {
    @Test func poissonAndGammaArrivalsAverageToTheRate() async throws {
        for arrival in ["poisson", "gamma\nburstiness: 0.5"] {
            let (result, directory) = try await runSession("rate: 100\narrival: \(arrival)\nrequests: 150\nwarmup: 0\nisl: 8\nosl: 2")
            defer { try? FileManager.default.removeItem(at: directory) }
            let achieved = try #require(result.points[0].metrics.achievedSendRequestsPerSecond)
            #expect(achieved > 60 && achieved < 160, "\(arrival): achieved \(achieved)/s")
        }
    }
}
