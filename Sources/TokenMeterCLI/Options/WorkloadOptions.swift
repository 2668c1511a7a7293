import ArgumentParser
import TokenMeterBench
import TokenMeterCore
import TokenMeterDialects
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
    @Option(help: "Sessions or agentic tasks instead of single requests: a preset (chat, agentic-coding, deep-research, rag) or a workload YAML file.")
    var workload: String?
    @Option(help: "With --workload: run the program's first loop (a session's turns, a task's user requests) exactly this many times.")
    var turns: Int?
    @Option(help: "With --workload: most tokens a request may hold; older messages are dropped from the front to fit.") var contextLimit: Int?
    @Option(help: "Replay a trace: a file, or for weka a folder of conversation files.") var trace: String?
    @Option(help: "The trace's format: \(TraceFormat.allCases.map(\.rawValue).joined(separator: ", ")).") var traceFormat: TraceFormat?
    @Option(help: "Skip this much of the trace's start, e.g. 10m.") var traceOffset: String?
    @Option(help: "Replay at most this much of the trace, e.g. 5m.") var traceDuration: String?
    @Option(help: "Replay at most this many of the trace's requests.") var traceMaxRequests: Int?
    @Option(help: "Tokens per hash block of the trace (default: the format's, 512 for mooncake, 64 for weka, 16 for the others).")
    var blockSize: Int?
    @Option(help: "Play recorded times and waits (and a workload's think and tool waits) this many times faster; max: no waits at all.")
    var speedup: String?

    /// The workload plan; `api` decides whether the local tokenizer adds the special tokens servers add to a raw prompt, and
    /// `seed` seeds the words a trace's prompts are made of.
    func resolve(api: APIKind, seed: UInt64 = 42) throws(ConfigError) -> WorkloadPlan {
        var plan = WorkloadPlan(source: try source(), inputLength: try LengthSpec(parsing: lengths.isl ?? "256", field: "isl"),
                                outputLength: try LengthSpec(parsing: lengths.osl ?? "128", field: "osl"), tokenize: tokenize,
                                tokenizer: try localTokenizer(api: api))
        plan.shape = try shape(seed: seed)
        plan.speedup = try playbackSpeedup()
        return plan
    }

    /// Single requests, a program's conversations, or a trace.
    func shape(seed: UInt64) throws(ConfigError) -> WorkloadShape {
        if workload == nil {
            if turns != nil { throw ConfigError(field: "turns", message: "only applies with --workload") }
            if contextLimit != nil { throw ConfigError(field: "context-limit", message: "only applies with --workload") }
        }
        if trace == nil {
            for (given, name) in [(traceFormat != nil, "trace-format"), (traceOffset != nil, "trace-offset"), (traceDuration != nil, "trace-duration"),
                                  (traceMaxRequests != nil, "trace-max-requests"), (blockSize != nil, "block-size")] where given {
                throw ConfigError(field: name, message: "only applies with --trace")
            }
        }
        if workload != nil || trace != nil {
            if dataset != nil { throw ConfigError(field: "dataset", message: "cannot be combined with --workload or --trace") }
            if prefixCount != nil { throw ConfigError(field: "prefix-count", message: "cannot be combined with --workload or --trace") }
        }
        if let workload {
            guard trace == nil else { throw ConfigError(field: "workload", message: "give either --workload or --trace, not both") }
            var program = try ConversationProgram.named(workload)
            if let turns {
                guard turns >= 1 else { throw ConfigError(field: "turns", message: "must be at least 1") }
                program = program.withTurns(turns)
            }
            if let contextLimit {
                guard contextLimit >= 16 else { throw ConfigError(field: "context-limit", message: "must be at least 16 tokens") }
                program.contextLimit = contextLimit
            }
            return .conversations(program)
        }
        guard let trace else { return .requests }
        guard let traceFormat else {
            throw ConfigError(field: "trace-format", message: "say the trace's format: --trace-format \(TraceFormat.allCases.map(\.rawValue).joined(separator: "|"))")
        }
        if let max = traceMaxRequests, max < 1 { throw ConfigError(field: "trace-max-requests", message: "must be at least 1") }
        let window = TraceWindow(offsetSeconds: try traceOffset.map { t throws(ConfigError) in try seconds(t, "trace-offset") } ?? 0,
                                 durationSeconds: try traceDuration.map { t throws(ConfigError) in try seconds(t, "trace-duration") },
                                 maxRequests: traceMaxRequests)
        return .trace(try TraceReader.read(path: trace, format: traceFormat, blockSize: blockSize, window: window, seed: seed))
    }

    /// The playback speed-up: a positive number, or `max` (nil) for no waits.
    func playbackSpeedup() throws(ConfigError) -> Double? {
        guard let speedup else { return 1 }
        if speedup.trimmingWhitespace.lowercased() == "max" { return nil }
        guard let value = Double(speedup), value > 0, value.isFinite else {
            throw ConfigError(field: "speedup", message: "'\(speedup)' is not a speed-up; write a positive number such as 10, or max")
        }
        return value
    }

    func seconds(_ text: String, _ field: String) throws(ConfigError) -> Double { try DurationText.milliseconds(text, field: field) / 1000 }

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
