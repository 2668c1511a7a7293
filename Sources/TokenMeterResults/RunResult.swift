import Foundation
import TokenMeterCore

/// Where a run's numbers came from.
public struct Provenance: Codable, Sendable, Equatable {
    /// tokenmeter version.
    public var toolVersion: String
    /// Endpoint base URL (never holds credentials).
    public var targetURL: String
    /// What the endpoint is: `reference target (simulated)` or `external`.
    public var targetKind: String
    /// Model the requests named.
    public var model: String
    /// Models the server listed at `/v1/models`.
    public var serverModels: [String]
    /// Host the client ran on.
    public var host: String
    /// GPUs behind the endpoint, as declared.
    public var gpus: Int
    /// When the run started (ISO 8601, UTC).
    public var startedAt: String
    /// How prompt lengths were counted: `local tokenizer (<file>)`, `server /tokenize`, `reference tokenizer`, `approximate`, or
    /// `dataset approximate`.
    public var promptLengthSource: String

    /// Creates provenance.
    /// The run store's id of the run, when it is kept there (so `runs recover` finishes that run).
    public var runID: String?
    /// For a run read from another tool's file (`runs import`): that tool, its version and how its metrics map.
    public var imported: ImportSource?

    public init(toolVersion: String, targetURL: String, targetKind: String, model: String, serverModels: [String], host: String, gpus: Int,
                startedAt: String, promptLengthSource: String) {
        self.toolVersion = toolVersion
        self.targetURL = targetURL
        self.targetKind = targetKind
        self.model = model
        self.serverModels = serverModels
        self.host = host
        self.gpus = gpus
        self.startedAt = startedAt
        self.promptLengthSource = promptLengthSource
    }

    enum CodingKeys: String, CodingKey {
        case toolVersion = "tool_version", targetURL = "target_url", targetKind = "target_kind", model
        case serverModels = "server_models", host, gpus, startedAt = "started_at", promptLengthSource = "prompt_length_source", runID = "run_id"
        case imported
    }
}

/// One sweep point of a result.
public struct PointResult: Codable, Sendable, Equatable {
    /// Position in the sweep.
    public var index: Int
    /// `c=8`, `rate=5/s`.
    public var label: String
    /// Closed-loop concurrency, if closed loop.
    public var concurrency: Int?
    /// Offered rate, if open loop.
    public var rate: Double?
    /// Arrival process, if open loop.
    public var arrival: ArrivalProcess?
    /// In-flight cap of an open-loop point.
    public var maxConcurrency: Int?
    /// The measurement window.
    public var window: MeasurementWindow
    /// Every metric.
    public var metrics: PointMetrics
    /// True when the point was cut short.
    public var partial: Bool
    /// Why the point ended.
    public var stoppedBy: String
    /// Things the reader should know about this point.
    public var warnings: [String]
    /// What the server's own metrics said, when they were scraped.
    public var serverMetrics: ServerMetricsSummary?
    /// GPU energy over the window, when power was measured.
    public var energy: MeasuredEnergy?
    /// The point's tokens counted by usage, the local tokenizer and the server's counters.
    public var tokens: TokenReconciliation?
    /// Its sessions or tasks, per conversation and per turn, when the workload has them.
    public var conversations: ConversationSummary?
    /// The trace it replayed and that trace's own prefix reuse, when it replayed one.
    public var trace: TraceSummary?
    /// What it cost: from a GPU profile or a price card, with what was assumed.
    public var price: PointPrice?

    /// Creates a point.
    public init(index: Int, label: String, concurrency: Int?, rate: Double?, arrival: ArrivalProcess?, maxConcurrency: Int?,
                window: MeasurementWindow, metrics: PointMetrics, partial: Bool, stoppedBy: String, warnings: [String],
                serverMetrics: ServerMetricsSummary? = nil, energy: MeasuredEnergy? = nil, tokens: TokenReconciliation? = nil) {
        self.index = index
        self.label = label
        self.concurrency = concurrency
        self.rate = rate
        self.arrival = arrival
        self.maxConcurrency = maxConcurrency
        self.window = window
        self.metrics = metrics
        self.partial = partial
        self.stoppedBy = stoppedBy
        self.warnings = warnings
        self.serverMetrics = serverMetrics
        self.energy = energy
        self.tokens = tokens
    }

    enum CodingKeys: String, CodingKey {
        case index, label, concurrency, rate, arrival, maxConcurrency = "max_concurrency", window, metrics, partial
        case stoppedBy = "stopped_by", warnings, serverMetrics = "server_metrics", energy, tokens = "token_reconciliation"
        case conversations, trace, price
    }
}

/// Energy of a point and what a token cost in joules, at the `gpu-board-measured` boundary.
public struct MeasuredEnergy: Codable, Sendable, Equatable {
    /// The integration and its checks.
    public var measurement: EnergyMeasurement
    /// J per token, all tokens.
    public var joulesPerToken: Double?
    /// J per output token (the whole energy charged to output).
    public var joulesPerOutputToken: Double?
    /// J per input token (the whole energy charged to input).
    public var joulesPerInputToken: Double?

    /// Relates a measurement to the point's token rates.
    public init(measurement: EnergyMeasurement, metrics: PointMetrics) {
        self.measurement = measurement
        joulesPerToken = measurement.joulesPerToken(tokensPerSecond: metrics.totalTokensPerSecond)
        joulesPerOutputToken = measurement.joulesPerToken(tokensPerSecond: metrics.outputTokensPerSecond)
        joulesPerInputToken = measurement.joulesPerToken(tokensPerSecond: metrics.inputTokensPerSecond)
    }

    enum CodingKeys: String, CodingKey {
        case measurement, joulesPerToken = "j_per_token", joulesPerOutputToken = "j_per_output_token", joulesPerInputToken = "j_per_input_token"
    }
}

/// A whole `bench` run: config, provenance and every point; versioned by `schema`.
public struct RunResult: Codable, Sendable, Equatable {
    /// Schema identifier, `tokenmeter.result/v1`.
    public var schema: String
    /// Where the numbers came from.
    public var provenance: Provenance
    /// The settings (header values redacted; the API key is never stored).
    public var config: RunSettings
    /// The points measured so far.
    public var points: [PointResult]
    /// True when the run was interrupted or a point was cut short.
    public var partial: Bool
    /// Run-level notes (approximate lengths, stopped sweeps).
    public var warnings: [String]
    /// The search for the highest load under the objective, when the run was one (`--find-max`).
    public var search: SearchSummary?

    /// Creates a result.
    public init(schema: String, provenance: Provenance, config: RunSettings, points: [PointResult], partial: Bool, warnings: [String]) {
        self.schema = schema
        self.provenance = provenance
        self.config = config
        self.points = points
        self.partial = partial
        self.warnings = warnings
    }

    /// Reads a result file.
    public static func read(path: String) throws -> RunResult {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "result", message: "cannot read '\(path)'")
        }
        do {
            return try JSONDecoder().decode(RunResult.self, from: data)
        } catch {
            throw ConfigError(field: "result", message: "'\(path)' is not a tokenmeter result: \(error)")
        }
    }
}

/// What a search for the highest load under the objective found (`bench --find-max`).
public struct SearchSummary: Codable, Sendable, Equatable {
    /// `concurrency` or `rate`.
    public var axis: String
    /// The probes in the order measured: the point's index, its load, and whether it met the objective and why.
    public var probes: [Probe]
    /// The index of the highest-load point that met it, nil when none did.
    public var bestPoint: Int?
    /// Why the search stopped.
    public var stopReason: String
    /// The bracket's relative width it stops at.
    public var tolerance: Double

    /// One probe.
    public struct Probe: Codable, Sendable, Equatable {
        public var point: Int
        public var load: Double
        public var passed: Bool
        public var why: String

        /// Creates a probe.
        public init(point: Int, load: Double, passed: Bool, why: String) {
            self.point = point
            self.load = load
            self.passed = passed
            self.why = why
        }
    }

    /// Creates a summary.
    public init(axis: String, probes: [Probe], bestPoint: Int?, stopReason: String, tolerance: Double) {
        self.axis = axis
        self.probes = probes
        self.bestPoint = bestPoint
        self.stopReason = stopReason
        self.tolerance = tolerance
    }

    enum CodingKeys: String, CodingKey { case axis, probes, bestPoint = "best_point", stopReason = "stop_reason", tolerance }
}
