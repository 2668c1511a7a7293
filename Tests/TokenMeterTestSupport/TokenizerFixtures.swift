import Foundation

/// Where the tokenizer fixtures are: the small committed ones, and the real vocabularies scripts/tokenizer-fixtures writes.
public enum TokenizerFixtures {
    /// Small tokenizers of every supported kind, committed beside the tokenizer's tests.
    public static let small = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../TokenMeterTokenizerTests/Fixtures/tokenizers").standardizedFileURL

    /// The real vocabularies (GPT-2, Llama 3, Qwen2, Llama 2 as BPE and as Unigram, BERT), in the folder
    /// `TOKENMETER_TOKENIZER_FIXTURES` names (scripts/test sets it); too large, and not all licensed, to commit.
    public static let real: URL? = ProcessInfo.processInfo.environment["TOKENMETER_TOKENIZER_FIXTURES"].map { URL(fileURLWithPath: $0) }
}
