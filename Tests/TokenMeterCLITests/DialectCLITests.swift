import ArgumentParser
import Foundation
import Testing
import TokenMeterBench
@testable import TokenMeterCLI
import TokenMeterCore
import TokenMeterDialects
import TokenMeterHTTP
import TokenMeterModel
import TokenMeterResults
import TokenMeterTarget
import TokenMeterTestSupport

/// `--api`, `--url` with or without `/v1`, `--provider` presets and the retry flags, as a user gives them.
@Suite struct DialectCLITests {
    @Test(arguments: [("anthropic", true), ("anthropic", false), ("responses", true), ("responses", false), ("embeddings", false)])
    func benchInEveryDialectWithOrWithoutV1(_ api: String, _ withV1: Bool) async throws {
        let target = try await ReferenceTarget.start(TargetConfiguration(timing: ParametricStepTime(fixedMilliseconds: 1), reasoningTokens: 4))
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = withV1 ? target.baseURL : String(target.baseURL.dropLast(3))
        let run = try await tokenmeter(["bench", "--api", api, "--url", url, "--model", "m", "--concurrency", "2", "--requests", "6", "--isl", "16",
                                        "--osl", "12", "--no-store", "--output", dir.path])
        await target.stop()
        #expect(run.status == 0, "\(api) \(url): \(run.stderr)")
        let result = try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: dir.appendingPathComponent("result.json")))
        let m = try #require(result.points.first).metrics
        #expect(m.requestsSucceeded == 6 && m.requestsFailed == 0, "\(api) \(url)")
        if api == "embeddings" {
            #expect(m.outputTokensSucceeded == 0 && m.inputTokensPerSecond > 0)
            #expect(run.stdout.contains("answers without output tokens (embeddings)"))
        } else {
            #expect(m.reasoningTokens == 6 * 4 && m.outputTokensSucceeded == 6 * 12)
            #expect(run.stdout.contains("c=2 output: 24 reasoning + 48 answer tokens"), "\(run.stdout)")
        }
    }

    @Test func providerPresetsFillInTheDialectAndTheQuirks() throws {
        let anthropic = try BenchCommand.parse(["--provider", "anthropic", "--url", "http://127.0.0.1:9/"]).plan(environment: ["ANTHROPIC_API_KEY": "k1"])
        #expect(anthropic.endpoint.api == .anthropic && !anthropic.endpoint.ignoreEOS)
        #expect(anthropic.endpoint.headers.contains { $0 == ("x-api-key", "k1") })
        let openai = try BenchCommand.parse(["--provider", "openai"]).plan(environment: ["OPENAI_API_KEY": "k2"])
        #expect(openai.endpoint.address.description == "https://api.openai.com:443/v1" && openai.endpoint.api == .chat)
        #expect(openai.endpoint.quirks.maxTokensField == .maxCompletionTokens && openai.endpoint.headers.contains { $0 == ("Authorization", "Bearer k2") })
        let vllm = try BenchCommand.parse(["--provider", "vllm", "--url", "http://127.0.0.1:9/v1", "--api", "responses", "--max-tokens-field", "max_tokens"]).plan()
        #expect(vllm.endpoint.api == .responses && vllm.endpoint.ignoreEOS && vllm.endpoint.continuousUsage == true)
        #expect(vllm.endpoint.quirks.maxTokensField == .maxTokens, "a flag overrides its preset")
        let retried = try BenchCommand.parse(["--url", "http://127.0.0.1:9/v1", "--retries", "3", "--retry-max-wait", "5s"]).plan()
        #expect(retried.endpoint.retry == RetryPolicy(maxRetries: 3, maxWaitSeconds: 5))
        #expect(try BenchCommand.parse(["--url", "http://127.0.0.1:9/v1"]).plan().endpoint.retry == nil, "no retries unless asked")
    }

    @Test(arguments: [
        (["--provider", "nope"], "unknown provider 'nope'"),
        (["--api", "chat", "--cache-ttl", "1h"], "only applies to --api anthropic"),
        (["--api", "anthropic", "--cache-ttl", "2h"], "must be 5m or 1h"),
        (["--chain-responses"], "only applies to --api responses"),
        (["--path", "v1/x"], "must start with /"),
        (["--api", "embeddings", "--workload", "chat"], "embeddings are single requests"),
    ])
    func badDialectSettingsAreNamed(_ arguments: [String], _ message: String) throws {
        let error = try #require(throws: ConfigError.self) { try BenchCommand.parse(["--url", "http://127.0.0.1:9/v1"] + arguments).plan() }
        #expect(error.message.contains(message), "\(error.message)")
    }
}
