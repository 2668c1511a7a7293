import TokenMeterCore

/// Power per GPU at a declared boundary.
public struct PowerSpec: Codable, Sendable, Equatable {
    /// kW per GPU.
    public var kilowattsPerGPU: Double
    /// Where the figure was taken.
    public var boundary: PowerBoundary
    /// Where the figure came from.
    public var source: String

    /// Creates a power figure.
    public init(kilowattsPerGPU: Double, boundary: PowerBoundary, source: String) {
        self.kilowattsPerGPU = kilowattsPerGPU
        self.boundary = boundary
        self.source = source
    }

    enum CodingKeys: String, CodingKey { case kilowattsPerGPU = "kw_per_gpu", boundary, source }
}
