import TokenMeterCore

/// A model on hardware at a precision and layout.
public struct Deployment: Sendable, Equatable {
    /// The model.
    public var model: ModelArchitecture
    /// The GPU.
    public var hardware: HardwareSpec
    /// Weight precision.
    public var precision: Precision
    /// Layout of one replica.
    public var parallelism: Parallelism

    /// Creates a deployment.
    public init(model: ModelArchitecture, hardware: HardwareSpec, precision: Precision, parallelism: Parallelism) {
        self.model = model
        self.hardware = hardware
        self.precision = precision
        self.parallelism = parallelism
    }
}
