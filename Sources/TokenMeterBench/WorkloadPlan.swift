import TokenMeterCore
import TokenMeterHTTP
import TokenMeterOpenAI
import TokenMeterTelemetry
import TokenMeterTokenizer
import TokenMeterWorkloads

/// How prompt lengths are made exact.
public enum TokenizeMode: String, Sendable, CaseIterable, Codable {
    /// Use the server's `/tokenize` when it answers, else approximate with a warning.
    case auto
    /// Require the server's `/tokenize`.
    case server
    /// Approximate lengths (flagged in the result).
    case off
}

/// Prompts and their lengths.
public struct WorkloadPlan: Sendable {
    /// Where prompts come from.
    public var source: PromptSource
    /// Input lengths.
    public var inputLength: LengthSpec
    /// Output lengths.
    public var outputLength: LengthSpec
    /// How prompt lengths are made exact.
    public var tokenize: TokenizeMode
    /// The local tokenizer (`--tokenizer`), and the file it came from.
    public var tokenizer: (tokenizer: HuggingFaceTokenizer, path: String)?

    /// Creates a workload plan.
    public init(source: PromptSource, inputLength: LengthSpec, outputLength: LengthSpec, tokenize: TokenizeMode,
                tokenizer: (tokenizer: HuggingFaceTokenizer, path: String)?) {
        self.source = source
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.tokenize = tokenize
        self.tokenizer = tokenizer
    }
}

/// What is watched besides the requests: the server's metrics and the GPUs' power.
public struct TelemetryPlan: Sendable {
    /// Scrape `/metrics` during points every this many seconds (nil: off).
    public var scrapeIntervalSeconds: Double?
    /// GPU power source (nil: off).
    public var power: PowerSource?
    /// Interval between power readings, s.
    public var powerIntervalSeconds: Double

    /// Creates a telemetry plan.
    public init(scrapeIntervalSeconds: Double?, power: PowerSource?, powerIntervalSeconds: Double) {
        self.scrapeIntervalSeconds = scrapeIntervalSeconds
        self.power = power
        self.powerIntervalSeconds = powerIntervalSeconds
    }
}
