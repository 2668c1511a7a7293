import Foundation
import TokenMeterCore

/// Where a run stands in the store.
public enum RunStatus: String, Codable, Sendable {
    /// Being measured (or its process was killed before it could say otherwise).
    case running
    /// Every planned point was measured.
    case complete
    /// Stopped early (Ctrl-C, a limit, every request failing): what was measured is kept.
    case partial
}

/// What the store records about a run beyond its result: the provenance a user filters and compares on.
public struct RunMetadata: Codable, Sendable, Equatable {
    /// Run id (`r-20261202-011530-ab12`).
    public var id: String
    /// When it was created (ISO 8601).
    public var createdAt: String
    /// GPU type behind the endpoint, when the user said (catalog id).
    public var hardware: String?
    /// Serving engine and its version, when known.
    public var engine: String?
    /// Engine version.
    public var engineVersion: String?
    /// Cost profile the user attached, if any.
    public var costProfile: String?
    /// Free-text label.
    public var label: String?

    /// Creates metadata; `id` defaults to a new time-ordered one.
    public init(id: String = RunMetadata.newID(), createdAt: String = ISO8601DateFormatter().string(from: Date()), hardware: String? = nil,
                engine: String? = nil, engineVersion: String? = nil, costProfile: String? = nil, label: String? = nil) {
        self.id = id
        self.createdAt = createdAt
        self.hardware = hardware
        self.engine = engine
        self.engineVersion = engineVersion
        self.costProfile = costProfile
        self.label = label
    }

    /// A new id: UTC time to the second, then four random hex digits.
    public static func newID(now: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return "r-\(f.string(from: now))-\(String(format: "%04x", Int.random(in: 0..<0x10000)))"
    }
}

/// One line of `runs list`.
public struct RunSummary: Sendable, Equatable {
    /// Metadata.
    public var metadata: RunMetadata
    /// Status.
    public var status: RunStatus
    /// Target URL.
    public var target: String
    /// Model served.
    public var model: String
    /// GPUs behind the endpoint.
    public var gpus: Int
    /// Tool version that measured it.
    public var toolVersion: String
    /// Points stored.
    public var points: Int

    /// Creates a summary.
    public init(metadata: RunMetadata, status: RunStatus, target: String, model: String, gpus: Int, toolVersion: String, points: Int) {
        self.metadata = metadata
        self.status = status
        self.target = target
        self.model = model
        self.gpus = gpus
        self.toolVersion = toolVersion
        self.points = points
    }

    /// The summary as `runs list --json` and the dashboard's `/api/runs` give it (the OpenAPI document's `RunSummary`).
    public var json: JSONValue {
        func optional(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        return .object([("id", .string(metadata.id)), ("created_at", .string(metadata.createdAt)), ("status", .string(status.rawValue)),
                        ("model", .string(model)), ("target", .string(target)), ("hardware", optional(metadata.hardware)),
                        ("engine", optional(metadata.engine)), ("engine_version", optional(metadata.engineVersion)),
                        ("gpus", .number(Double(gpus))), ("points", .number(Double(points))), ("label", optional(metadata.label))])
    }
}

/// A whole stored run: metadata, status and the result (points with their metrics).
public struct StoredRun: Sendable, Equatable {
    /// Metadata.
    public var metadata: RunMetadata
    /// Status.
    public var status: RunStatus
    /// The result, as `bench` wrote it.
    public var result: RunResult

    /// Creates a stored run.
    public init(metadata: RunMetadata, status: RunStatus, result: RunResult) {
        self.metadata = metadata
        self.status = status
        self.result = result
    }
}
