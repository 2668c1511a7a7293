/// How arrivals are spaced in an open-loop run.
public enum ArrivalProcess: String, Codable, Sendable, CaseIterable {
    /// Exponential gaps (memoryless).
    case poisson
    /// Equal gaps of `1 / rate`.
    case constant
    /// Gamma gaps with shape = burstiness (1 is Poisson; below 1 burstier, above 1 smoother).
    case gamma
}
