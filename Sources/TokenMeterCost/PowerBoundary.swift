/// Where a power figure was taken: the board, the whole node, or everything provisioned for the GPU.
public enum PowerBoundary: String, Codable, Sendable, CaseIterable {
    /// GPU board power as the GPU reports it (nvidia-smi, DCGM, amd-smi).
    case gpuBoardMeasured = "gpu-board-measured"
    /// Whole-node power measured at the node, divided by its GPUs.
    case nodeMeasured = "node-measured"
    /// Provisioned all-in power per GPU: GPU, CPU, network and facility overhead.
    case provisionedAllIn = "provisioned-all-in"
}

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
