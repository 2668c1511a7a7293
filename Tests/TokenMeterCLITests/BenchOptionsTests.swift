import ArgumentParser
import Foundation
import Testing
import TokenMeterBench
@testable import TokenMeterCLI
import TokenMeterCore
import TokenMeterCost
import TokenMeterResults
import TokenMeterWorkloads

/// `bench`'s options, read from the command line and from a YAML config through the same declarations.
@Suite struct BenchOptionsTests {
    let url = "http://127.0.0.1:8000/v1"

    func yaml(_ text: String) throws -> [String] {
        try ConfigFile.arguments(yaml: text, source: "bench.yaml", command: BenchCommand.self)
    }

    @Test func yamlBecomesTheSameArgumentsAsFlags() throws {
        let arguments = try yaml("""
            url: http://127.0.0.1:8000/v1
            concurrency: [1, 2, 4]
            isl: 512
            osl: uniform:10-20
            max-concurrency: 8
            ignore-eos: false
            stream: true
            header: ["X-Team: a", "X-Other: b, c"]
            hardware: h100
            """)
        let command = try BenchCommand.parse(arguments)
        #expect(command.load.concurrency.concurrency?.values == [1, 2, 4])
        #expect(command.workload.lengths.isl == "512" && command.workload.lengths.osl == "uniform:10-20")
        #expect(command.load.maxConcurrency == 8)
        #expect(command.endpoint.ignoreEos == false && command.endpoint.stream)
        #expect(command.endpoint.header.map(\.value) == ["a", "b, c"])  // a list option: one flag per element
        #expect(command.runOptions.gpu.gpu == "h100")  // --hardware is --gpu
        #expect(try BenchCommand.parse(try yaml("rate: 5")).load.rate?.values == [5])
    }

    @Test func theCommandLineWinsOverTheFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).yaml")
        try "osl: 4\nlabel: from-yaml\nheader: [\"X-A: 1\"]\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (plan, settings) = try BenchArguments.plan(["--config", file.path, "--osl", "6", "--header", "X-B: 2"], url: url)
        #expect(plan.workload.outputLength == .fixed(6))
        #expect(settings["label"]?.stringValue == "from-yaml")
        #expect(plan.endpoint.headers.map(\.0) == ["X-A", "X-B"])
    }

    @Test func unknownKeyIsNamedWithASuggestion() throws {
        let error = try #require(throws: ConfigError.self) { try yaml("concurency: [1]") }
        #expect(error.field == "concurency")
        #expect(error.message.contains("'concurrency'"))
    }

    @Test func wrongTypeNamesTheField() throws {
        let error = try #require(throws: ConfigError.self) { try yaml("gpus: eight") }
        #expect(error.field == "gpus" && error.message.contains("bench.yaml"))
        let notMap = try #require(throws: ConfigError.self) { try yaml("- 1\n- 2") }
        #expect(notMap.field == "config")
        let bad = try #require(throws: ConfigError.self) { try yaml("url: [unclosed") }
        #expect(bad.field == "config")
        let mapping = try #require(throws: ConfigError.self) { try yaml("isl: {a: 1}") }
        #expect(mapping.field == "isl")
        let switchValue = try #require(throws: ConfigError.self) { try yaml("stream: maybe") }
        #expect(switchValue.field == "stream")
    }

    /// Found by the YAML fuzz test: Yams.load traps on a non-text key; these must be errors, not crashes.
    @Test(arguments: ["[1]: 2", "{a: b}: c", "? - x\n: y", "header:\n  [1, 2]: 3"])
    func nonTextKeysAreErrorsNotCrashes(_ text: String) throws {
        let error = try #require(throws: ConfigError.self) { try yaml(text) }
        #expect(error.message.contains("keys must be plain text"))
        let profile = try #require(throws: ConfigError.self) {
            try CostProfile.parse(yaml: text, catalog: try HardwareCatalog.load(environment: [:]))
        }
        #expect(profile.message.contains("keys must be plain text"))
    }

    @Test func recordedSettingsRedactHeaderValues() throws {
        let (_, settings) = try BenchArguments.plan(["--url", url, "--header", "Authorization: Bearer sk-secret"])
        let text = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        #expect(!text.contains("sk-secret"))
        #expect(settings["header"] == .array([.string("Authorization: <redacted>")]))
        // And they read back from JSON as they were written.
        #expect(try JSONDecoder().decode(RunSettings.self, from: Data(text.utf8)) == settings)
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
        ("turns", "turns: 3"),
        ("context-limit", "context-limit: 100"),
        ("trace-offset", "trace-offset: 10s"),
        ("trace-format", "trace: /nonexistent/trace.jsonl"),
        ("workload", "workload: no-such-workload"),
        ("workload", "workload: chat\ntrace: /nonexistent/trace.jsonl\ntrace-format: mooncake"),
        ("sessions", "sessions: [2]"),
        ("session-count", "session-count: 3"),
        ("turns", "workload: chat\nturns: 0"),
        ("context-limit", "workload: chat\ncontext-limit: 4"),
        ("speedup", "workload: chat\nspeedup: fast"),
        ("dataset", "workload: chat\ndataset: x.jsonl"),
        ("sessions", "workload: chat\nsessions: [2]\nconcurrency: [2]"),
        ("trace", "trace: /nonexistent/trace.jsonl\ntrace-format: mooncake"),
        ("speedup", "trace: \(Self.mooncake)\ntrace-format: mooncake\nspeedup: max"),
        ("trace", "trace: \(Self.mooncake)\ntrace-format: mooncake\nconcurrency: [2]"),
        ("requests", "trace: \(Self.mooncake)\ntrace-format: mooncake\nrequests: 3"),
    ])
    func planValidationNamesTheBadField(field: String, yaml: String) throws {
        let error = try #require(throws: ConfigError.self) { try BenchArguments.plan(yaml: yaml, url: url) }
        #expect(error.field == field, "\(error)")
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TokenMeterWorkloadsTests/Fixtures")
    static let mooncake = fixtures.appendingPathComponent("mooncake.jsonl").path

    @Test func conversationsAndTracesSetTheirOwnPoints() throws {
        func modes(_ arguments: [String]) throws -> [LoadMode] { try BenchArguments.plan(["--url", url] + arguments).plan.load.modes }
        #expect(try modes(["--workload", "chat"]) == [.concurrency(4)])
        #expect(try modes(["--workload", "agentic-coding", "--sessions", "2,8"]) == [.concurrency(2), .concurrency(8)])
        #expect(try modes(["--workload", "rag", "--rate", "0.5"]) == [.rate(0.5, .poisson, burstiness: 1, maxConcurrency: nil)])
        #expect(try modes(["--trace", Self.mooncake, "--trace-format", "mooncake", "--speedup", "10"]) == [.replay(speedup: 10, maxConcurrency: nil)])
        #expect(try modes(["--trace", Self.mooncake, "--trace-format", "mooncake", "--speedup", "max", "--max-concurrency", "8"])
            == [.replay(speedup: nil, maxConcurrency: 8)])
        let weka = Self.fixtures.appendingPathComponent("weka").path
        #expect(try modes(["--trace", weka, "--trace-format", "weka"]) == [.concurrency(2)])
        let plan = try BenchArguments.plan(["--url", url, "--workload", "chat", "--turns", "6", "--session-count", "9"]).plan
        #expect(plan.load.conversations == 9 && plan.load.conversationBounds(for: .concurrency(4)).measuredRequests == 9)
        guard case let .conversations(program) = plan.workload.shape, case let .loop(count, _, _) = program.steps[0] else {
            Issue.record("a chat program")
            return
        }
        #expect(count == .fixed(6))
    }

    @Test func defaultsScaleWithConcurrency() throws {
        let plan = try BenchArguments.plan(["--url", url]).plan
        #expect(plan.load.modes == [.concurrency(1), .concurrency(4), .concurrency(16), .concurrency(64)])
        let bounds = plan.load.bounds(for: .concurrency(16))
        #expect(bounds.measuredRequests == 128)
        #expect(bounds.warmupRequests == 16)
        #expect(bounds.rampUpSeconds == 0)
        #expect(plan.endpoint.headers.isEmpty)
    }

    @Test func rampUpReachesEveryClosedLoopPoint() throws {
        let plan = try BenchArguments.plan(yaml: "concurrency: [4, 64]\nramp-up: 1500ms", url: url).plan
        #expect(plan.load.bounds(for: .concurrency(4)).rampUpSeconds == 1.5)
        #expect(plan.load.bounds(for: .concurrency(64)).rampUpSeconds == 1.5)
    }

    @Test func apiKeyComesFromEnvironmentOrFile() throws {
        func headers(_ arguments: [String], _ environment: [String: String]) throws -> [(String, String)] {
            try BenchArguments.plan(["--url", url] + arguments, environment: environment).plan.endpoint.headers
        }
        #expect(try headers([], ["OPENAI_API_KEY": "k1"]).contains { $0 == ("Authorization", "Bearer k1") })
        #expect(try headers(["--api-key-env", "MY_KEY"], ["MY_KEY": "k2", "OPENAI_API_KEY": "k1"]).contains { $0 == ("Authorization", "Bearer k2") })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tm-key-\(UUID().uuidString)")
        try "k3\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try headers(["--api-key-file", file.path], [:]).contains { $0 == ("Authorization", "Bearer k3") })
    }
}
