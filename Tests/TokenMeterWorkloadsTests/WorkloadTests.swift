import Foundation
import Testing
import TokenMeterCore
import TokenMeterTokenizer
import TokenMeterWorkloads

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
