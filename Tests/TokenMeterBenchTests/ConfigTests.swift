import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterCost
import TokenMeterHTTP
import TokenMeterOpenAI
import TokenMeterTokenizer
import TokenMeterWorkloads

@Suite struct BenchConfigTests {
    @Test func yamlSetsEveryKindOfField() throws {
        let config = try BenchConfig.parse(yaml: """
            url: http://127.0.0.1:8000/v1
            concurrency: [1, 2, 4]
            isl: 512
            osl: uniform:10-20
            slo: ttft_p99=2s
            max-concurrency: 8
            ignore-eos: false
            header: ["X-Team: a"]
            """)
        #expect(config.concurrency == [1, 2, 4])
        #expect(config.isl == "512")
        #expect(config.osl == "uniform:10-20")
        #expect(config.maxConcurrency == 8)
        #expect(config.ignoreEOS == false)
        #expect(config.header == ["X-Team: a"])
        let single = try BenchConfig.parse(yaml: "rate: 5")
        #expect(single.rate == [5])
    }

    @Test func unknownKeyIsNamedWithASuggestion() throws {
        let error = try #require(throws: ConfigError.self) { try BenchConfig.parse(yaml: "concurency: [1]") }
        #expect(error.field == "concurency")
        #expect(error.message.contains("'concurrency'"))
    }

    @Test func wrongTypeNamesTheField() throws {
        let error = try #require(throws: ConfigError.self) { try BenchConfig.parse(yaml: "gpus: eight") }
        #expect(error.field == "gpus")
        let notMap = try #require(throws: ConfigError.self) { try BenchConfig.parse(yaml: "- 1\n- 2") }
        #expect(notMap.field == "config")
        let bad = try #require(throws: ConfigError.self) { try BenchConfig.parse(yaml: "url: [unclosed") }
        #expect(bad.field == "config")
    }

    /// Found by the YAML fuzz test: Yams.load traps on a non-text key; these must be errors, not crashes.
    @Test(arguments: ["[1]: 2", "{a: b}: c", "? - x\n: y", "header:\n  [1, 2]: 3"])
    func nonTextKeysAreErrorsNotCrashes(_ yaml: String) throws {
        let error = try #require(throws: ConfigError.self) { try BenchConfig.parse(yaml: yaml) }
        #expect(error.message.contains("keys must be plain text"))
        let profile = try #require(throws: ConfigError.self) {
            try CostProfile.parse(yaml: yaml, catalog: try HardwareCatalog.load(environment: [:]))
        }
        #expect(profile.message.contains("keys must be plain text"))
    }

    @Test func configRoundTripsThroughJSONWithHeadersRedacted() throws {
        var config = BenchConfig()
        config.url = "http://127.0.0.1:1/v1"
        config.header = ["Authorization: Bearer sk-secret"]
        let data = try JSONEncoder().encode(config.redacted)
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("sk-secret"))
        #expect(try JSONDecoder().decode(BenchConfig.self, from: data).header == ["Authorization: <redacted>"])
    }

    /// Each bad setting (as YAML, the same names as the flags) gives one error naming the field.
    @Test(arguments: [
        ("concurrency", "concurrency: [0]"),
        ("rate", "rate: [-1]"),
        ("rate", "rate: 1\nconcurrency: 1"),
        ("max-concurrency", "max-concurrency: 4"),
        ("max-concurrency", "rate: 1\nmax-concurrency: 0"),
        ("burstiness", "rate: 1\nburstiness: 0"),
        ("isl", "isl: x"),
        ("osl", "osl: 0"),
        ("duration", "duration: 0s"),
        ("duration", "duration: 5s\nrequests: 3"),
        ("requests", "requests: 0"),
        ("gpus", "gpus: 0"),
        ("slo", "slo: fast"),
        ("warmup", "warmup: soon"),
        ("warmup", "warmup: -2"),
        ("header", "header: [\"no colon\"]"),
        ("extra-body", "extra-body: \"[1]\""),
        ("extra-body", "extra-body: \"{\""),
        ("tokenize", "tokenize: maybe"),
        ("dataset", "dataset: /nonexistent/file.jsonl"),
        ("prefix-count", "prefix-count: 0"),
        ("api-key-env", "api-key-env: TOKENMETER_TEST_UNSET_VARIABLE"),
        ("api-key-file", "api-key-file: /nonexistent/key"),
        ("read-timeout", "read-timeout: 0s"),
        ("drain-timeout", "drain-timeout: later"),
        ("ca-file", "ca-file: /etc/hostname"),
        ("power", "power: gpuz"),
        ("power-interval", "power-interval: 10ms"),
        ("power-url", "power: dcgm\npower-url: dcgm-host:9400"),
        ("scrape-metrics", "scrape-metrics: sometimes"),
        ("scrape-interval", "scrape-interval: 1ms"),
        ("ca-file", "url: https://127.0.0.1:1/v1\nca-file: /nonexistent/ca.pem"),
        ("url", "url: 127.0.0.1:8000"),
        ("ramp-up", "rate: 5\nramp-up: 2s"),
        ("ramp-up", "ramp-up: soon"),
        ("ramp-up", "max-point-duration: 10s\nramp-up: 20s"),
    ])
    func planValidationNamesTheBadField(field: String, yaml: String) throws {
        let error = try #require(throws: ConfigError.self) {
            var config = try BenchConfig.parse(yaml: yaml)
            if config.url == nil { config.url = "http://127.0.0.1:8000/v1" }
            _ = try BenchPlan(config: config, environment: [:])
        }
        #expect(error.field == field)
    }

    @Test func defaultsScaleWithConcurrency() throws {
        var config = BenchConfig()
        config.url = "http://127.0.0.1:8000/v1"
        let plan = try BenchPlan(config: config, environment: [:])
        #expect(plan.modes == [.concurrency(1), .concurrency(4), .concurrency(16), .concurrency(64)])
        let bounds = plan.bounds(for: .concurrency(16))
        #expect(bounds.measuredRequests == 128)
        #expect(bounds.warmupRequests == 16)
        #expect(bounds.rampUpSeconds == 0)
        #expect(plan.headers.isEmpty)
    }

    @Test func rampUpReachesEveryClosedLoopPoint() throws {
        var config = try BenchConfig.parse(yaml: "concurrency: [4, 64]\nramp-up: 1500ms")
        config.url = "http://127.0.0.1:8000/v1"
        let plan = try BenchPlan(config: config, environment: [:])
        #expect(plan.bounds(for: .concurrency(4)).rampUpSeconds == 1.5)
        #expect(plan.bounds(for: .concurrency(64)).rampUpSeconds == 1.5)
    }

    @Test func apiKeyComesFromEnvironmentOrFile() throws {
        var config = BenchConfig()
        config.url = "http://127.0.0.1:8000/v1"
        let fromDefault = try BenchPlan(config: config, environment: ["OPENAI_API_KEY": "k1"])
        #expect(fromDefault.headers.contains { $0 == ("Authorization", "Bearer k1") })
        config.apiKeyEnv = "MY_KEY"
        let named = try BenchPlan(config: config, environment: ["MY_KEY": "k2", "OPENAI_API_KEY": "k1"])
        #expect(named.headers.contains { $0 == ("Authorization", "Bearer k2") })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tm-key-\(UUID().uuidString)")
        try "k3\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        config.apiKeyEnv = nil
        config.apiKeyFile = file.path
        let fromFile = try BenchPlan(config: config, environment: [:])
        #expect(fromFile.headers.contains { $0 == ("Authorization", "Bearer k3") })
    }
}
