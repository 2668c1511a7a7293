import TokenMeterResults
import TokenMeterWorkloads

/// Absolute send deadlines of an open-loop schedule.
struct ArrivalClock {
    private var next_: Double
    private let rate: Double
    private let process: ArrivalProcess
    private let burstiness: Double
    private var rng: SeededGenerator
    private var first = true

    init(origin: UInt64, rate: Double, process: ArrivalProcess, burstiness: Double, seed: UInt64) {
        next_ = Double(origin)
        self.rate = rate
        self.process = process
        self.burstiness = burstiness
        rng = SeededGenerator(seed: seed ^ 0xA11C_E5)
    }

    /// The next deadline (monotonic ns); the first arrival is at the origin.
    mutating func next() -> UInt64 {
        if first {
            first = false
            return UInt64(next_)
        }
        let gapSeconds: Double = switch process {
        case .constant: 1 / rate
        case .poisson: rng.exponential() / rate
        case .gamma: rng.gamma(shape: burstiness) / (rate * burstiness)
        }
        next_ += gapSeconds * 1e9
        return UInt64(next_)
    }
}
