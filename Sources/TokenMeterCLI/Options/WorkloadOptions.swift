import ArgumentParser
import TokenMeterBench
import TokenMeterCore
import TokenMeterOpenAI
import TokenMeterTokenizer
import TokenMeterWorkloads

/// What `bench` sends: synthetic prompts, a dataset, or shared prefixes, at given lengths.
struct WorkloadOptions: ParsableArguments {
    @OptionGroup var lengths: LengthOptions
    @Option(help: "JSONL dataset: prompt/text, messages or ShareGPT conversations per line.") var dataset: String?
    @Option(help: "Shared-prefix workload: number of distinct prefixes.") var prefixCount: Int?
    @Option(help: "Shared-prefix workload: tokens per prefix.") var prefixTokens = 512
    @Option(help: "Shared-prefix workload: suffixes per prefix.") var suffixesPerPrefix = 8
    @Option(help: "Exact prompt lengths: auto (the server's /tokenize if present), server, or off.") var tokenize = TokenizeMode.auto
    @OptionGroup var tokenizer: TokenizerOption

    /// The workload plan; `api` decides whether the local tokenizer adds the special tokens servers add to a raw prompt.
    func resolve(api: APIKind) throws(ConfigError) -> WorkloadPlan {
        WorkloadPlan(source: try source(), inputLength: try LengthSpec(parsing: lengths.isl ?? "256", field: "isl"),
                     outputLength: try LengthSpec(parsing: lengths.osl ?? "128", field: "osl"), tokenize: tokenize,
                     tokenizer: try localTokenizer(api: api))
    }

    func source() throws(ConfigError) -> PromptSource {
        if let dataset {
            if prefixCount != nil { throw ConfigError(field: "prefix-count", message: "cannot be combined with --dataset") }
            _ = try readable(dataset, field: "dataset")
            return .dataset(path: dataset)
        }
        guard let count = prefixCount else { return .synthetic }
        guard count >= 1 else { throw ConfigError(field: "prefix-count", message: "must be at least 1") }
        guard prefixTokens >= 1 else { throw ConfigError(field: "prefix-tokens", message: "must be at least 1") }
        guard suffixesPerPrefix >= 1 else { throw ConfigError(field: "suffixes-per-prefix", message: "must be at least 1") }
        return .sharedPrefix(prefixCount: count, prefixTokens: prefixTokens, suffixesPerPrefix: suffixesPerPrefix)
    }

    func localTokenizer(api: APIKind) throws(ConfigError) -> (tokenizer: HuggingFaceTokenizer, path: String)? {
        guard let path = tokenizer.tokenizer else { return nil }
        // Servers add a raw prompt's special tokens (a BOS) to completions; a chat template's tokens are not knowable here.
        do {
            return (try HuggingFaceTokenizer(contentsOf: path, addSpecialTokens: api == .completions), path)
        } catch let error as ConfigError {
            throw ConfigError(field: "tokenizer", message: "\(path): \(error.field): \(error.message)")
        } catch {
            throw ConfigError(field: "tokenizer", message: "\(path): \(error)")
        }
    }
}
