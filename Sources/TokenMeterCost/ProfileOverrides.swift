import TokenMeterCore

/// What `cost` lets a user change in the profiles it prices with: utilisation, the precision of FLOPS per dollar, and the
/// power per GPU at a declared boundary.
public struct ProfileOverrides: Sendable, Equatable {
    /// Fraction of paid hours that serve traffic (rentals and tiers; an owned profile has its own load schedule).
    public var utilisation: Double?
    /// Precision for FLOPS per dollar (`bf16`, `fp8`, `fp4`).
    public var precision: String?
    /// Power per GPU, kW, with its boundary.
    public var powerKilowatts: Double?
    /// The boundary of `powerKilowatts`.
    public var powerBoundary: String?

    /// Creates overrides.
    public init(utilisation: Double? = nil, precision: String? = nil, powerKilowatts: Double? = nil, powerBoundary: String? = nil) {
        self.utilisation = utilisation
        self.precision = precision
        self.powerKilowatts = powerKilowatts
        self.powerBoundary = powerBoundary
    }

    /// The profiles with these overrides applied, or an error naming the flag that does not fit.
    public func apply(to profiles: [CostProfile]) throws(ConfigError) -> [CostProfile] {
        var out = profiles
        let power = try powerSpec()
        for i in out.indices {
            if let utilisation {
                guard utilisation > 0, utilisation <= 1 else { throw ConfigError(field: "utilisation", message: "must be in (0, 1]") }
                if case .owned = out[i].kind {} else { out[i].utilisation = utilisation }
            }
            if let precision {
                guard out[i].gpu == nil || out[i].gpu?.peakTFLOPSDense[precision.lowercased()] != nil else {
                    throw ConfigError(field: "precision", message: "\(out[i].gpu!.id) has no \(precision) peak")
                }
                out[i].precision = precision.lowercased()
            }
            if let power {
                if case .api = out[i].kind {} else { out[i].power = power }
            }
        }
        return out
    }

    private func powerSpec() throws(ConfigError) -> PowerSpec? {
        guard powerKilowatts != nil || powerBoundary != nil else { return nil }
        guard let kw = powerKilowatts, kw > 0, let name = powerBoundary, let boundary = PowerBoundary(rawValue: name) else {
            throw ConfigError(field: "power-kw", message: "give --power-kw KW (> 0) with --power-boundary gpu-board-measured, node-measured or provisioned-all-in")
        }
        return PowerSpec(kilowattsPerGPU: kw, boundary: boundary, source: "--power-kw")
    }
}
