import Foundation
import TokenMeterCore
import TokenMeterTokenizer

/// One planned request: its prompt, how many tokens that prompt is, and how many to ask back.
public struct PlannedRequest: Sendable {
    /// The prompt.
    public var prompt: PromptContent
    /// Prompt tokens (exact when `exact`).
    public var promptTokens: Int
    /// True when a tokenizer counted `promptTokens`.
    public var exact: Bool
    /// `max_tokens` to ask for.
    public var maxTokens: Int
}

/// Where prompts come from.
public enum PromptSource: Sendable {
    /// Random common words, one token each in the usual BPE vocabularies.
    case synthetic
    /// A JSONL file of prompts, chat messages or ShareGPT conversations.
    case dataset(path: String)
    /// `prefixCount` distinct prefixes of `prefixTokens` tokens, each followed by `suffixesPerPrefix` distinct suffixes.
    case sharedPrefix(prefixCount: Int, prefixTokens: Int, suffixesPerPrefix: Int)
}

/// Builds a request plan from a source and length distributions.
public struct WorkloadGenerator: Sendable {
    /// Where prompts come from.
    public var source: PromptSource
    /// Input-length distribution (synthetic and shared-prefix suffixes).
    public var inputLength: LengthSpec
    /// Output-length distribution (used where a dataset line gives none).
    public var outputLength: LengthSpec
    /// Seed for every random choice.
    public var seed: UInt64

    /// Creates a generator.
    public init(source: PromptSource, inputLength: LengthSpec, outputLength: LengthSpec, seed: UInt64) {
        self.source = source
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.seed = seed
    }

    /// Common English words that are single tokens (with their leading space) in GPT-2, Llama 3 and Qwen vocabularies.
    public static let words: [String] = """
        the of and to in is was for on that with as by at from his her they this have are not but had which \
        one were all their there been has when who will more would time about some could them other than then \
        now only its first also new after any these two may people way most work over such year make where much \
        good well should very through years back still long just many own old life world part day between state \
        house against high never under place while same great might group small number off always home water \
        hand city point since school light room music story order power market money
        """.split(separator: " ").map(String.init)

    /// Plans `count` requests; with a counter, synthetic prompts are trimmed to exact token lengths.
    public func plan(count: Int, counter: (any TokenCounter)? = nil) async throws -> [PlannedRequest] {
        var rng = SeededGenerator(seed: seed)
        switch source {
        case .synthetic:
            var plan: [PlannedRequest] = []
            plan.reserveCapacity(count)
            for _ in 0..<count {
                let target = inputLength.sample(using: &rng)
                let words = Self.randomWords(target, using: &rng)
                let maxTokens = outputLength.sample(using: &rng)
                plan.append(try await Self.fit(words: words, target: target, counter: counter, maxTokens: maxTokens, rng: &rng))
            }
            return plan
        case let .sharedPrefix(prefixCount, prefixTokens, suffixesPerPrefix):
            let prefixes = (0..<max(prefixCount, 1)).map { _ in Self.randomWords(prefixTokens, using: &rng) }
            var distinct: [PlannedRequest] = []
            for p in 0..<max(prefixCount, 1) {
                for _ in 0..<max(suffixesPerPrefix, 1) {
                    let suffixLength = inputLength.sample(using: &rng)
                    let words = prefixes[p] + Self.randomWords(suffixLength, using: &rng)
                    let maxTokens = outputLength.sample(using: &rng)
                    distinct.append(try await Self.fit(words: words, target: prefixTokens + suffixLength, counter: counter,
                                                       maxTokens: maxTokens, rng: &rng))
                }
            }
            // Interleave so that consecutive requests use different prefixes.
            let perPrefix = max(suffixesPerPrefix, 1)
            let ordered = (0..<distinct.count).map { i in distinct[(i % max(prefixCount, 1)) * perPrefix + (i / max(prefixCount, 1)) % perPrefix] }
            return (0..<count).map { ordered[$0 % ordered.count] }
        case let .dataset(path):
            let entries = try DatasetReader.read(path: path)
            var plan: [PlannedRequest] = []
            plan.reserveCapacity(count)
            for i in 0..<count {
                let entry = entries[i % entries.count]
                let text = entry.prompt.flattened
                var tokens = Self.approximateTokens(text)
                var exact = false
                if let counter, let counted = try? await counter.count(text) {
                    tokens = counted
                    exact = true
                }
                let maxTokens = entry.outputTokens ?? outputLength.sample(using: &rng)
                plan.append(PlannedRequest(prompt: entry.prompt, promptTokens: tokens, exact: exact, maxTokens: maxTokens))
            }
            return plan
        }
    }

    static func randomWords(_ n: Int, using rng: inout SeededGenerator) -> [String] {
        (0..<max(n, 0)).map { _ in words[Int(rng.next() % UInt64(words.count))] }
    }

    /// A rough token count for text with no tokenizer: about 4 characters a token, at least one per word.
    public static func approximateTokens(_ text: String) -> Int {
        let wordCount = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).count
        return max(wordCount, (text.utf8.count + 3) / 4)
    }

    static func text(_ words: [String]) -> String { words.joined(separator: " ") }

    /// Adjusts a word list until the counter agrees with `target` (a few rounds at most).
    static func fit(words start: [String], target: Int, counter: (any TokenCounter)?, maxTokens: Int,
                    rng: inout SeededGenerator) async throws -> PlannedRequest {
        var words = start
        guard let counter else {
            return PlannedRequest(prompt: .text(text(words)), promptTokens: target, exact: false, maxTokens: maxTokens)
        }
        var counted = try await counter.count(text(words))
        var rounds = 0
        while counted != target, rounds < 8 {
            let diff = target - counted
            if diff > 0 {
                words += randomWords(diff, using: &rng)
            } else {
                words.removeLast(min(-diff, max(words.count - 1, 0)))
            }
            counted = try await counter.count(text(words))
            rounds += 1
        }
        return PlannedRequest(prompt: .text(text(words)), promptTokens: counted, exact: true, maxTokens: maxTokens)
    }
}
