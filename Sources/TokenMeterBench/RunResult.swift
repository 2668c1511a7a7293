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
        case serverModels = "server_models", host, gpus, startedAt = "started_at", promptLengthSource = "prompt_length_source"
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

    enum CodingKeys: String, CodingKey {
        case index, label, concurrency, rate, arrival, maxConcurrency = "max_concurrency", window, metrics, partial
        case stoppedBy = "stopped_by", warnings, serverMetrics = "server_metrics", energy, tokens = "token_reconciliation"
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
    public var config: BenchConfig
    /// The points measured so far.
    public var points: [PointResult]
    /// True when the run was interrupted or a point was cut short.
    public var partial: Bool
    /// Run-level notes (approximate lengths, stopped sweeps).
    public var warnings: [String]

    /// Creates a result.
    public init(schema: String, provenance: Provenance, config: BenchConfig, points: [PointResult], partial: Bool, warnings: [String]) {
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

/// The header line of a point in a timeline file: what is needed to recompute its metrics.
public struct TimelinePointHeader: Codable, Sendable, Equatable {
    /// Always `point`.
    public var type: String = "point"
    /// Point index.
    public var point: Int
    /// Point label.
    public var label: String
    /// Measurement window.
    public var window: MeasurementWindow
    /// GPUs for per-GPU figures.
    public var gpus: Int
    /// Objective for goodput.
    public var slo: ServiceLevelObjective?
    /// Offered rate of an open-loop point.
    public var offeredRequestsPerSecond: Double?

    /// Creates a header.
    public init(point: Int, label: String, window: MeasurementWindow, gpus: Int, slo: ServiceLevelObjective? = nil,
                offeredRequestsPerSecond: Double? = nil) {
        self.point = point
        self.label = label
        self.window = window
        self.gpus = gpus
        self.slo = slo
        self.offeredRequestsPerSecond = offeredRequestsPerSecond
    }

    enum CodingKeys: String, CodingKey {
        case type, point, label, window, gpus, slo, offeredRequestsPerSecond = "offered_rate_per_s"
    }
}

/// One request line of a timeline file.
public struct TimelineRequestLine: Codable, Sendable {
    /// Always `request`.
    public var type: String = "request"
    /// Point index.
    public var point: Int
    /// The request's timeline.
    public var record: RequestRecord
}

/// Writes a run's files as it goes: the timeline is appended point by point, the result rewritten atomically.
public final class ResultFiles: Sendable {
    /// The folder holding the files.
    public let directory: URL
    /// `result.json`.
    public var resultURL: URL { directory.appendingPathComponent("result.json") }
    /// `timeline.jsonl`.
    public var timelineURL: URL { directory.appendingPathComponent("timeline.jsonl") }

    /// Creates the folder (and parents) if needed and an empty timeline.
    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data().write(to: directory.appendingPathComponent("timeline.jsonl"))
    }

    /// Appends a point's header and request lines to the timeline.
    public func appendTimeline(header: TimelinePointHeader, records: [RequestRecord]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(header)
        data.append(0x0A)
        for record in records {
            data.append(try encoder.encode(TimelineRequestLine(point: header.point, record: record)))
            data.append(0x0A)
        }
        let handle = try FileHandle(forWritingTo: timelineURL)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }

    /// Writes `result.json` atomically, so a reader never sees half a file.
    public func writeResult(_ result: RunResult) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(result).write(to: resultURL, options: .atomic)
    }
}

/// Reads a timeline file back into points of records, for recomputing metrics.
public enum TimelineReader {
    /// One point of a timeline: its header and records.
    public struct Point: Sendable {
        /// Header.
        public var header: TimelinePointHeader
        /// Records in file order.
        public var records: [RequestRecord]
    }

    /// Reads every point; a bad line is an error that names its number.
    public static func read(path: String) throws -> [Point] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "timeline", message: "cannot read '\(path)'")
        }
        let decoder = JSONDecoder()
        var points: [Point] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n")) {
            lineNumber += 1
            let bytes = Data(line)
            do {
                if let header = try? decoder.decode(TimelinePointHeader.self, from: bytes), header.type == "point" {
                    points.append(Point(header: header, records: []))
                    continue
                }
                let request = try decoder.decode(TimelineRequestLine.self, from: bytes)
                guard let i = points.lastIndex(where: { $0.header.point == request.point }) else {
                    throw ConfigError(field: "timeline", message: "request before its point header")
                }
                points[i].records.append(request.record)
            } catch {
                throw ConfigError(field: "timeline", message: "\(path):\(lineNumber): \(error)")
            }
        }
        return points
    }

    /// Recomputes the metrics of every point exactly as the run did.
    public static func recompute(_ points: [Point]) -> [PointMetrics] {
        points.map {
            PointMetrics.compute(records: $0.records, window: $0.header.window, gpus: $0.header.gpus, objective: $0.header.slo,
                                 offeredRequestsPerSecond: $0.header.offeredRequestsPerSecond)
        }
    }
}
