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

    /// The precision of the dense weights (attention, dense and shared FFNs, LM head): the deployment's, except for a
    /// checkpoint that quantises only its routed experts to 4 bits (its `quantization_config` leaves attention unconverted,
    /// as gpt-oss's MXFP4 does), whose dense weights stay BF16.
    public var densePrecision: Precision {
        model.expertsOnlyQuantised && (precision == .fp4 || precision == .int4) ? .bf16 : precision
    }
}
