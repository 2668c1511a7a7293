import Foundation
import TokenMeterCore

/// A saved prediction: what was predicted, and the points of its front.
public struct PredictionRecord: Codable, Sendable, Equatable {
    /// Id (`p-…`).
    public var id: String
    /// When (ISO 8601).
    public var createdAt: String
    /// Model id.
    public var model: String
    /// GPU id.
    public var hardware: String
    /// GPUs per replica (or in the configuration).
    public var gpus: Int
    /// Precision.
    public var precision: String
    /// The configuration in words.
    public var configuration: String
    /// Efficiency provenance (`measured`, `transferred`, `prior`).
    public var provenance: String
    /// Predicted points.
    public var points: [PredictedPoint]

    /// Creates a record.
    public init(id: String = "p" + RunMetadata.newID().dropFirst(), createdAt: String = ISO8601DateFormatter().string(from: Date()),
                model: String, hardware: String, gpus: Int, precision: String, configuration: String, provenance: String,
                points: [PredictedPoint]) {
        self.id = id
        self.createdAt = createdAt
        self.model = model
        self.hardware = hardware
        self.gpus = gpus
        self.precision = precision
        self.configuration = configuration
        self.provenance = provenance
        self.points = points
    }
}

/// One predicted operating point.
public struct PredictedPoint: Codable, Sendable, Equatable {
    /// Label (`c=64`).
    public var label: String
    /// Concurrency.
    public var concurrency: Int
    /// TTFT, ms.
    public var ttftMilliseconds: Double
    /// TPOT, ms.
    public var tpotMilliseconds: Double
    /// Output tok/s per GPU.
    public var outputPerGPU: Double
    /// Input tok/s per GPU.
    public var inputPerGPU: Double

    /// Creates a point.
    public init(label: String, concurrency: Int, ttftMilliseconds: Double, tpotMilliseconds: Double, outputPerGPU: Double, inputPerGPU: Double) {
        self.label = label
        self.concurrency = concurrency
        self.ttftMilliseconds = ttftMilliseconds
        self.tpotMilliseconds = tpotMilliseconds
        self.outputPerGPU = outputPerGPU
        self.inputPerGPU = inputPerGPU
    }

    /// tok/s per user.
    public var interactivity: Double { point.interactivity }

    /// The point as an operating point.
    public var point: OperatingPoint {
        OperatingPoint(ttftMilliseconds: ttftMilliseconds, tpotMilliseconds: tpotMilliseconds, inputPerGPU: inputPerGPU, outputPerGPU: outputPerGPU)
    }
}
