import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects
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

/// What a point sends: single requests, conversations that follow a program, or a trace.
public enum WorkloadShape: Sendable {
    /// Single requests from the plan's prompt source.
    case requests
    /// Sessions or tasks that follow a program (`--workload`).
    case conversations(ConversationProgram)
    /// A trace replayed (`--trace`): its requests at their recorded times, or its conversations as sessions.
    case trace(Trace)
}

/// Prompts and their lengths.
public struct WorkloadPlan: Sendable {
    /// Single requests, conversations or a trace.
    public var shape: WorkloadShape = .requests

    /// True when the workload is single requests (no sessions, tasks or trace).
    public var isSingleRequests: Bool { if case .requests = shape { true } else { false } }
    /// True when the workload replays a trace's conversations as sessions.
    public var isSessionTrace: Bool { if case let .trace(trace) = shape { trace.hasSessions } else { false } }
    /// Recorded times and waits (think, tool) are divided by this; nil replays as fast as the concurrency allows, with no waits.
    public var speedup: Double? = 1
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
