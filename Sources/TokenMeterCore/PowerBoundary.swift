/// Where a power figure was taken: the board, the whole node, or everything provisioned for the GPU.
public enum PowerBoundary: String, Codable, Sendable, CaseIterable {
    /// GPU board power as the GPU reports it (nvidia-smi, DCGM, amd-smi).
    case gpuBoardMeasured = "gpu-board-measured"
    /// Whole-node power measured at the node, divided by its GPUs.
    case nodeMeasured = "node-measured"
    /// Provisioned all-in power per GPU: GPU, CPU, network and facility overhead.
    case provisionedAllIn = "provisioned-all-in"
}
