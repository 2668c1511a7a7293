import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterTokenizer

/// `tokenmeter tokenize`: count (or list) the tokens of a text with a local Hugging Face tokenizer.
struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Count the tokens of a text, or of each line of a file, with a Hugging Face tokenizer.json."
    )

    @OptionGroup var tokenizer: TokenizerOption
    @Option(help: "Read the text from this file ('-' for standard input) instead of the argument.") var file: String?
    @Flag(help: "Count each line of the file on its own (as separate prompts), and print one count per line.") var lines = false
    @Flag(help: "Add the post-processor's special tokens (a BOS, say), as a server does for a raw completions prompt.") var special = false
    @Flag(name: .customLong("ids"), help: "Print the token ids, not just the count.") var printIDs = false
    @Flag(help: "Print how long encoding took (after loading) on standard error, in MB/s and tokens/s.") var timing = false
    @Argument(help: "The text to count.") var text: String?

    func run() async throws {
        guard let path = tokenizer.tokenizer else { throw ConfigError(field: "tokenizer", message: "tokenize needs --tokenizer tokenizer.json") }
        let loaded = try HuggingFaceTokenizer(contentsOf: path, addSpecialTokens: special)
        let input: String
        if let file {
            guard let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file) else {
                throw ConfigError(field: "file", message: "cannot read '\(file)'")
            }
            input = String(decoding: data, as: UTF8.self)
        } else if let text {
            input = text
        } else {
            throw ConfigError(field: "text", message: "give a text or --file FILE")
        }
        let texts = lines ? input.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) : [input]
        let start = MonotonicClock.nowNanoseconds()
        let encoded = texts.map { loaded.encode($0, addSpecialTokens: special) }
        let seconds = Double(MonotonicClock.nowNanoseconds() - start) / 1e9
        for e in encoded { print(printIDs ? e.map(String.init).joined(separator: " ") : String(e.count)) }
        if timing {
            let bytes = texts.reduce(0) { $0 + $1.utf8.count }
            let tokens = encoded.reduce(0) { $0 + $1.count }
            Terminal.error(String(format: "encoded %d bytes into %d tokens in %.3f s: %.1f MB/s, %.0f tokens/s", bytes, tokens, seconds,
                                  Double(bytes) / max(seconds, 1e-9) / 1e6, Double(tokens) / max(seconds, 1e-9)))
        }
    }
}
