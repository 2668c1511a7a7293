import NIOHTTP1
import Testing
import TokenMeterCore
import TokenMeterCost
import TokenMeterHTTP
import TokenMeterModel
import TokenMeterDialects
import TokenMeterTarget

/// Starts a target, runs `body` with a client pointed at it, stops both.
func withTarget<T>(_ configuration: TargetConfiguration = TargetConfiguration(),
                   _ body: (ReferenceTarget, StreamingHTTPClient) async throws -> T) async throws -> T {
    let target = try await ReferenceTarget.start(configuration)
    let client = StreamingHTTPClient(host: "127.0.0.1", port: target.port, threads: 1)
    do {
        let value = try await body(target, client)
        await client.shutdown()
        await target.stop()
        return value
    } catch {
        await client.shutdown()
        await target.stop()
        throw error
    }
}

func call(_ client: StreamingHTTPClient, _ path: String, _ body: String = "", method: HTTPMethod = .POST,
          requestID: String? = nil) async -> RawResponse {
    let request = PreparedRequest(method: method, uri: path, headers: [("Host", "127.0.0.1"), ("Content-Type", "application/json")],
                                  body: Array(body.utf8), expectsEventStream: false)
    return await client.execute(request, requestID: requestID)
}

func json(_ response: RawResponse) throws -> JSONValue { try JSONValue.parse(response.body) }

func stream(_ client: StreamingHTTPClient, chat: Bool = false, prompt: String = "a b c d", maxTokens: Int, extra: String = "",
            requestID: String? = nil) async -> RequestRecord {
    let body = chat
        ? #"{"model":"m","messages":[{"role":"user","content":"\#(prompt)"}],"max_tokens":\#(maxTokens),"stream":true,"stream_options":{"include_usage":true}\#(extra)}"#
        : #"{"model":"m","prompt":"\#(prompt)","max_tokens":\#(maxTokens),"stream":true,"stream_options":{"include_usage":true}\#(extra)}"#
    let request = PreparedRequest(uri: chat ? "/v1/chat/completions" : "/v1/completions", headers: [("Host", "x"), ("Content-Type", "application/json")],
                                  body: Array(body.utf8), expectsEventStream: true)
    var record = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 0, promptTokensExact: false, maxTokens: maxTokens)
    ResponseInterpreter.apply(await client.execute(request, requestID: requestID), streamed: true, to: &record)
    return record
}

@Suite struct ReferenceTargetTests {
    @Test func listsItsModelAndTokenizes() async throws {
        try await withTarget(TargetConfiguration(modelName: "ref-model")) { _, client in
            let models = try json(await call(client, "/v1/models", method: .GET))
            #expect(models["data"]?[0]?["id"]?.stringValue == "ref-model")
            #expect(try json(await call(client, "/tokenize", #"{"prompt":"one two  three\nfour"}"#))["count"]?.intValue == 4)
            #expect(try json(await call(client, "/tokenize", #"{"content":"x y"}"#))["tokens"].map { if case let .array(a) = $0 { a.count } else { 0 } } == 2)
            #expect(try json(await call(client, "/tokenize", #"{"messages":[{"role":"user","content":"a b"},{"role":"user","content":"c"}]}"#))["count"]?.intValue == 3)
        }
    }

    @Test func rejectsWhatItCannotServe() async throws {
        try await withTarget(TargetConfiguration(maxRequestBytes: 1000)) { _, client in
            #expect(await call(client, "/nope", method: .GET).status == 404)
            #expect(await call(client, "/v1/completions", method: .GET).status == 405)
            #expect(await call(client, "/v1/completions", "{nope").status == 400)
            let missing = await call(client, "/v1/completions", #"{"model":"m"}"#)
            #expect(missing.status == 400)
            let message = try json(missing)["error"]?["message"]?.stringValue
            #expect(message?.contains("prompt") == true)
            #expect(await call(client, "/v1/chat/completions", #"{"messages":"hi"}"#).status == 400)
            #expect(await call(client, "/v1/completions", #"{"prompt":"x","max_tokens":0}"#).status == 400)
            #expect(await call(client, "/v1/completions", "{\"prompt\":\"" + String(repeating: "x", count: 2000) + "\"}").status == 413)
        }
    }

    @Test func completionsStreamDeliversExactlyMaxTokensWithUsage() async throws {
        try await withTarget { _, client in
            let r = await stream(client, maxTokens: 12)
            #expect(r.succeeded)
            #expect(r.tokenEvents.count == 12)
            #expect(r.usage == Usage(promptTokens: 4, completionTokens: 12, cachedPromptTokens: 0))
            #expect(r.finishReason == "length")
        }
    }

    @Test func chatStreamSendsRoleChunkWithTheFirstToken() async throws {
        try await withTarget { _, client in
            let r = await stream(client, chat: true, maxTokens: 5)
            #expect(r.succeeded)
            #expect(r.events.count == 7)  // role chunk + 5 tokens + the usage-only frame
            #expect(r.tokenEvents.count == 5)
            #expect(r.events[0].readIndex == r.events[1].readIndex)
            #expect(r.usage?.completionTokens == 5)
        }
    }

    @Test func nonStreamedResponse() async throws {
        try await withTarget { _, client in
            let response = await call(client, "/v1/chat/completions", #"{"messages":[{"role":"user","content":"hi"}],"max_tokens":3}"#)
            let body = try json(response)
            #expect(body["choices"]?[0]?["message"]?["content"]?.stringValue?.split(separator: " ").count == 3)
            #expect(body["usage"]?["completion_tokens"]?.intValue == 3)
        }
    }

    @Test func eosStopsEarlyOnlyWhenNotIgnored() async throws {
        try await withTarget(TargetConfiguration(eosProbability: 1)) { _, client in
            let early = await stream(client, maxTokens: 20, extra: #","min_tokens":3"#)
            #expect(early.outputTokens == 3)
            #expect(early.finishReason == "stop")
            let full = await stream(client, maxTokens: 20, extra: #","ignore_eos":true"#)
            #expect(full.outputTokens == 20)
        }
    }

    @Test func stepTimesFollowTheModel() async throws {
        let model = ParametricStepTime(fixedMilliseconds: 20, perSequenceMilliseconds: 0, perContextTokenMicroseconds: 0, perPrefillTokenMicroseconds: 0)
        try await withTarget(TargetConfiguration(timing: model, recordGroundTruth: true)) { target, client in
            let r = await stream(client, maxTokens: 5, requestID: "one")
            let truth = try #require(await target.groundTruth().first { $0.requestID == "one" })
            #expect(truth.tokenNanoseconds.count == 5)
            let gaps = zip(truth.tokenNanoseconds.dropFirst(), truth.tokenNanoseconds).map { Double($0 - $1) / 1e6 }
            // A step can be late under load, never early.
            for gap in gaps { #expect(gap > 19 && gap < 200, "gap \(gap) ms") }
            let ttft = Double(truth.tokenNanoseconds[0] - truth.arrivalNanoseconds) / 1e6
            #expect(ttft > 19 && ttft < 200)
            #expect(r.succeeded)
        }
    }

    @Test func metricsCountTokensAndRequests() async throws {
        try await withTarget { _, client in
            _ = await stream(client, prompt: "a b c", maxTokens: 7)
            _ = await stream(client, prompt: "a b", maxTokens: 3)
            let text = String(decoding: await call(client, "/metrics", method: .GET).body, as: UTF8.self)
            #expect(text.contains(#"vllm:prompt_tokens_total{model_name="tokenmeter-reference"} 5.0"#))
            #expect(text.contains(#"vllm:generation_tokens_total{model_name="tokenmeter-reference"} 10.0"#))
            #expect(text.contains(#"vllm:request_success_total{model_name="tokenmeter-reference"} 2.0"#))
            #expect(text.contains("# TYPE vllm:num_requests_running gauge"))
            #expect(text.contains(#"vllm:prefix_cache_queries_total{model_name="tokenmeter-reference"} 5.0"#))
        }
    }

    @Test func aRepeatedPrefixIsServedFromTheCacheAndCostsNoPrefill() async throws {
        // 2 ms per prefilled token, nothing else: a prompt's TTFT is its prefill.
        let model = ParametricStepTime(fixedMilliseconds: 0, perSequenceMilliseconds: 0, perContextTokenMicroseconds: 0, perPrefillTokenMicroseconds: 2000)
        let configuration = TargetConfiguration(timing: model, recordGroundTruth: true, prefixBlockTokens: 4, recordPrompts: true)
        try await withTarget(configuration) { target, client in
            let words = (0..<40).map { "w\($0)" }
            let first = await stream(client, prompt: words.joined(separator: " "), maxTokens: 1, requestID: "first")
            let second = await stream(client, prompt: (words + ["x", "y"]).joined(separator: " "), maxTokens: 1, requestID: "second")
            let other = await stream(client, prompt: (["z"] + words).joined(separator: " "), maxTokens: 1, requestID: "other")
            #expect(first.usage?.cachedPromptTokens == 0)
            #expect(second.usage?.cachedPromptTokens == 40, "all 10 of the first prompt's blocks")
            #expect(other.usage?.cachedPromptTokens == 0, "a different first word changes every block after it")
            let truth = Dictionary(uniqueKeysWithValues: await target.groundTruth().map { ($0.requestID, $0) })
            #expect(truth["second"]?.cachedTokens == 40 && truth["second"]?.prompt == (words + ["x", "y"]).joined(separator: " "))
            func ttft(_ id: String) -> Double { Double(truth[id]!.tokenNanoseconds[0] - truth[id]!.arrivalNanoseconds) / 1e6 }
            #expect(ttft("first") > 75, "40 tokens prefilled: 80 ms")
            #expect(ttft("second") < 40, "2 tokens prefilled: 4 ms (the rest was cached)")
            let text = String(decoding: await call(client, "/metrics", method: .GET).body, as: UTF8.self)
            #expect(text.contains(#"vllm:prefix_cache_hits_total{model_name="tokenmeter-reference"} 40.0"#))
        }
    }

    @Test func withoutAPrefixCacheUsageSaysNothingOfCachedTokens() async throws {
        try await withTarget(TargetConfiguration(prefixCacheTokens: 0)) { _, client in
            let r = await stream(client, maxTokens: 2)
            #expect(r.usage == Usage(promptTokens: 4, completionTokens: 2))
        }
    }

    @Test func clientThatGoesAwayIsAbortedAndLogged() async throws {
        let model = ParametricStepTime(fixedMilliseconds: 10)
        try await withTarget(TargetConfiguration(timing: model, recordGroundTruth: true)) { target, client in
            let task = Task { await stream(client, maxTokens: 1000, requestID: "gone") }
            // Cancel once the target is really streaming it, then wait (bounded) for the abort to be logged.
            let probe = StreamingHTTPClient(host: "127.0.0.1", port: target.port, threads: 1)
            for _ in 0..<250 {
                let metrics = String(decoding: await call(probe, "/metrics", method: .GET).body, as: UTF8.self)
                if metrics.contains(#"vllm:generation_tokens_total{model_name="tokenmeter-reference"} 0.0"#) == false { break }
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            task.cancel()
            let r = await task.value
            #expect(r.failure?.kind == .cancelled)
            var logged: GroundTruthRecord?
            for _ in 0..<250 where logged == nil {
                logged = await target.groundTruth().first { $0.requestID == "gone" }
                if logged == nil { try await Task.sleep(nanoseconds: 20_000_000) }
            }
            await probe.shutdown()
            let truth = try #require(logged)
            #expect(truth.aborted)
            #expect(truth.tokenNanoseconds.count < 1000)
            let metrics = String(decoding: await call(client, "/metrics", method: .GET).body, as: UTF8.self)
            #expect(metrics.contains("tokenmeter_target_aborted_total{model_name=\"tokenmeter-reference\"} 1.0"))
        }
    }
}

@Suite struct RooflineTimingTests {
    @Test func targetStepsFollowThePerformanceModel() async throws {
        let model = try ModelCatalog.load().model("llama-3.1-8b")
        let hardware = try HardwareSpec(try HardwareCatalog.load(environment: [:]).gpu("h100"))
        let performance = PerformanceModel(deployment: Deployment(model: model, hardware: hardware, precision: .fp8, parallelism: Parallelism()))
        let predicted = performance.step(decoding: 1, context: 5, prefillTokens: 0, promptLength: 0).total * 1000
        try await withTarget(TargetConfiguration(timing: RooflineStepTime(model: performance), recordGroundTruth: true)) { target, client in
            _ = await stream(client, maxTokens: 6, requestID: "roof")
            let truth = try #require(await target.groundTruth().first { $0.requestID == "roof" })
            let gaps = zip(truth.tokenNanoseconds.dropFirst(), truth.tokenNanoseconds).map { Double($0 - $1) / 1e6 }
            #expect(gaps.count == 5)
            // A step can be late under load, never early.
            for gap in gaps { #expect(gap > predicted * 0.95 && gap < predicted + 100, "gap \(gap) ms vs predicted \(predicted) ms") }
        }
        // And time-scale shrinks it.
        let fast = RooflineStepTime(model: performance, timeScale: 0.1).nanoseconds(for: StepShape(decodingSequences: 1, contextTokens: 5, prefillTokens: 0, prefillSequences: 0))
        #expect(abs(Double(fast) / 1e6 - predicted * 0.1) < 0.01)
    }
}

/// Batching is read from the ground-truth log, but whether four requests arrive close enough together to share the batch is
/// timing: each decodes for 2 s (200 steps of 10 ms) so that arrivals spread by a loaded machine still overlap (a CI run
/// beside the llama.cpp suites once saw one request arrive ~0.7 s after the others, when each decoded for 0.3 s).
@Suite(.serialized) struct LoadSensitiveTargetBatching {
    @Test func continuousBatchingRunsRequestsTogetherUpToTheBatchLimit() async throws {
        let model = ParametricStepTime(fixedMilliseconds: 10, perSequenceMilliseconds: 0, perContextTokenMicroseconds: 0, perPrefillTokenMicroseconds: 0)
        func spans(maxBatch: Int) async throws -> [(first: UInt64, last: UInt64)] {
            try await withTarget(TargetConfiguration(limits: BatchLimits(maxRunning: maxBatch), timing: model, recordGroundTruth: true)) { target, client in
                await withTaskGroup(of: Void.self) { group in
                    for i in 0..<4 { group.addTask { _ = await stream(client, maxTokens: 200, requestID: "r\(i)") } }
                }
                let truth = await target.groundTruth()
                #expect(truth.count == 4)
                return truth.map { ($0.tokenNanoseconds.first ?? 0, $0.tokenNanoseconds.last ?? 0) }
            }
        }
        func peakOverlap(_ spans: [(first: UInt64, last: UInt64)]) -> Int {
            spans.map { s in spans.filter { $0.first <= s.first && s.first <= $0.last }.count }.max() ?? 0
        }
        let together = try await spans(maxBatch: 8)
        #expect(together.map(\.first).max()! < together.map(\.last).min()!, "with room in the batch all four decode at once")
        let pairs = try await spans(maxBatch: 2)
        #expect(peakOverlap(pairs) <= 2)
        #expect(pairs.contains { a in pairs.contains { b in b.first > a.last } }, "the third request waits for a free slot")
    }
}
