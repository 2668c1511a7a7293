import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterCost

@Suite struct EndpointAddressTests {
    @Test func parsesURLs() throws {
        #expect(try EndpointAddress(parsing: "http://127.0.0.1:8000/v1/") == EndpointAddress(host: "127.0.0.1", port: 8000, basePath: "/v1"))
        #expect(try EndpointAddress(parsing: "http://localhost/v1") == EndpointAddress(host: "localhost", port: 80, basePath: "/v1"))
        #expect(try EndpointAddress(parsing: "http://[::1]:9000") == EndpointAddress(host: "::1", port: 9000, basePath: ""))
        #expect(try EndpointAddress(parsing: "http://[::1]:9000/v1").description == "http://[::1]:9000/v1")
        let secure = try EndpointAddress(parsing: "HTTPS://inference.example.com/v1")
        #expect(secure.secure && secure.port == 443 && secure.description == "https://inference.example.com:443/v1")
    }

    @Test(arguments: ["ftp://x", "127.0.0.1:8000", "http://user:secret@127.0.0.1/v1", "https://key:secret@127.0.0.1/v1", "http://:80", "http://h:99999"])
    func refusesBadURLs(_ text: String) throws {
        let error = try #require(throws: ConfigError.self) { try EndpointAddress(parsing: text) }
        #expect(error.field == "url")
        #expect(!error.message.contains("secret"))
    }
}

@Suite struct LengthSpecTests {
    @Test func parsesTheThreeForms() throws {
        #expect(try LengthSpec(parsing: "1024", field: "isl") == .fixed(1024))
        #expect(try LengthSpec(parsing: "uniform:10-20", field: "isl") == .uniform(min: 10, max: 20))
        #expect(try LengthSpec(parsing: "10-20", field: "isl") == .uniform(min: 10, max: 20))
        #expect(try LengthSpec(parsing: "normal:100,10,50,150", field: "isl") == .normal(mean: 100, stddev: 10, min: 50, max: 150))
    }

    @Test(arguments: ["0", "-5", "abc", "20-10", "normal:1,2,3", "normal:100,10,200,150", "uniform:1-x"])
    func rejectsBadLengths(_ text: String) throws {
        let error = try #require(throws: ConfigError.self) { try LengthSpec(parsing: text, field: "osl") }
        #expect(error.field == "osl")
    }

    @Test func samplesStayInRangeAndNearTheMean() {
        var rng = SeededGenerator(seed: 7)
        let spec = LengthSpec.normal(mean: 100, stddev: 20, min: 60, max: 140)
        let draws = (0..<5000).map { _ in spec.sample(using: &rng) }
        #expect(draws.allSatisfy { (60...140).contains($0) })
        let mean = Double(draws.reduce(0, +)) / Double(draws.count)
        #expect(abs(mean - 100) < 2)
        let uniform = LengthSpec.uniform(min: 3, max: 5)
        let u = (0..<300).map { _ in uniform.sample(using: &rng) }
        #expect(Set(u) == [3, 4, 5])
    }

    @Test func gammaAndExponentialHaveTheRightMean() {
        var rng = SeededGenerator(seed: 3)
        for shape in [0.5, 1.0, 4.0] {
            let draws = (0..<20000).map { _ in rng.gamma(shape: shape) }
            let mean = draws.reduce(0, +) / Double(draws.count)
            #expect(abs(mean - shape) / shape < 0.05, "shape \(shape): mean \(mean)")
        }
    }
}

@Suite struct RequestBuilderTests {
    @Test func completionsBodyAsksForUsageAndExactLength() throws {
        let options = RequestOptions(api: .completions, model: "m", continuousUsage: true, extraBody: try JSONValue.parse(#"{"top_k":1,"ignore_eos":false}"#))
        let body = RequestBuilder.body(prompt: .text("hi"), maxTokens: 32, options: options)
        #expect(body["prompt"]?.stringValue == "hi")
        #expect(body["max_tokens"]?.intValue == 32)
        #expect(body["stream"]?.boolValue == true)
        #expect(body["stream_options"]?["include_usage"]?.boolValue == true)
        #expect(body["stream_options"]?["continuous_usage_stats"]?.boolValue == true)
        #expect(body["top_k"]?.intValue == 1)
        #expect(body["ignore_eos"]?.boolValue == false)  // extra body wins
        #expect(body["min_tokens"] == nil)
    }

    @Test func chatBodyWrapsTextOrPassesMessages() throws {
        let options = RequestOptions(api: .chat, model: "m", stream: false, minTokens: true)
        let body = RequestBuilder.body(prompt: .text("hi"), maxTokens: 8, options: options)
        #expect(body["messages"]?[0]?["content"]?.stringValue == "hi")
        #expect(body["stream_options"] == nil)
        #expect(body["min_tokens"]?.intValue == 8)
        let messages = [JSONValue.object([("role", .string("system")), ("content", .string("s"))])]
        #expect(RequestBuilder.body(prompt: .messages(messages), maxTokens: 8, options: options)["messages"]?[0]?["role"]?.stringValue == "system")
    }

    @Test func requestCarriesHeadersAndPath() {
        let options = RequestOptions(api: .chat, model: "m", headers: [("Authorization", "Bearer k")])
        let request = RequestBuilder.request(prompt: .text("x"), maxTokens: 1, options: options,
                                             address: EndpointAddress(host: "127.0.0.1", port: 1, basePath: "/v1"))
        #expect(request.uri == "/v1/chat/completions")
        #expect(request.headers.contains { $0 == ("Authorization", "Bearer k") })
    }
}

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

@Suite struct WorkloadTests {
    struct WordCounter: TokenCounter {
        func count(_ text: String) async throws -> Int { text.split(separator: " ").count + 3 }  // a template adds 3
    }

    @Test func syntheticPromptsAreFittedExactlyWithACounter() async throws {
        let generator = WorkloadGenerator(source: .synthetic, inputLength: .uniform(min: 20, max: 40), outputLength: .fixed(7), seed: 1)
        let plan = try await generator.plan(count: 20, counter: WordCounter())
        for p in plan {
            #expect(p.exact)
            #expect(try await WordCounter().count(p.prompt.flattened) == p.promptTokens)
            #expect((20...40).contains(p.promptTokens))
            #expect(p.maxTokens == 7)
        }
        #expect(Set(plan.map(\.prompt.flattened)).count == 20)
    }

    @Test func withoutACounterLengthsAreApproximate() async throws {
        let plan = try await WorkloadGenerator(source: .synthetic, inputLength: .fixed(50), outputLength: .fixed(5), seed: 2).plan(count: 3)
        #expect(plan.allSatisfy { !$0.exact && $0.promptTokens == 50 })
        #expect(plan.allSatisfy { $0.prompt.flattened.split(separator: " ").count == 50 })
    }

    @Test func samePlanForTheSameSeed() async throws {
        let g = WorkloadGenerator(source: .synthetic, inputLength: .normal(mean: 30, stddev: 5, min: 10, max: 50), outputLength: .fixed(5), seed: 9)
        let a = try await g.plan(count: 10).map(\.prompt)
        let b = try await g.plan(count: 10).map(\.prompt)
        #expect(a == b)
    }

    @Test func sharedPrefixesRepeatAcrossRequests() async throws {
        let g = WorkloadGenerator(source: .sharedPrefix(prefixCount: 3, prefixTokens: 16, suffixesPerPrefix: 2), inputLength: .fixed(4),
                                  outputLength: .fixed(5), seed: 4)
        let plan = try await g.plan(count: 12)
        let prefixes = plan.map { $0.prompt.flattened.split(separator: " ").prefix(16).joined(separator: " ") }
        #expect(Set(prefixes).count == 3)
        #expect(Set(plan.map(\.prompt.flattened)).count == 6)
        #expect(prefixes[0] != prefixes[1])  // interleaved
        #expect(plan.allSatisfy { $0.promptTokens == 20 })
    }

    @Test func datasetFormats() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tm-ds-\(UUID().uuidString).jsonl")
        try """
            {"prompt": "one two three", "output_tokens": 9}
            {"messages": [{"role": "user", "content": "hello"}]}

            {"conversations": [{"from": "human", "value": "question here"}, {"from": "gpt", "value": "a b c d"}]}
            """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let plan = try await WorkloadGenerator(source: .dataset(path: file.path), inputLength: .fixed(1), outputLength: .fixed(5), seed: 0)
            .plan(count: 4)
        #expect(plan[0].maxTokens == 9)
        #expect(plan[1].maxTokens == 5)
        if case .messages = plan[1].prompt {} else { Issue.record("messages expected") }
        #expect(plan[2].prompt == .text("question here"))
        #expect(plan[2].maxTokens == 4)
        #expect(plan[3].prompt == .text("one two three"))  // cycled
    }

    @Test func datasetErrorsNameTheLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tm-ds-\(UUID().uuidString).jsonl")
        try "{\"prompt\": \"ok\"}\n{\"nothing\": 1}\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = try #require(throws: ConfigError.self) { try DatasetReader.read(path: file.path) }
        #expect(error.message.contains(":2:"))
    }
}
