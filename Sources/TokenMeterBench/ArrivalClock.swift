import TokenMeterResults
import TokenMeterWorkloads

/// Which arrivals of one global schedule this process sends: every `stride`-th from `offset` (a scaled-out worker of rank r
/// of W sends arrivals r, r + W, r + 2W, …, so that the workers' union is exactly the single-machine schedule).
public struct ArrivalShare: Sendable, Equatable {
    public var offset: Int
    public var stride: Int

    /// Every arrival.
    public static let all = ArrivalShare(offset: 0, stride: 1)

    public init(offset: Int, stride: Int) {
        precondition(stride >= 1 && (0..<stride).contains(offset), "an arrival share is offset 0 ..< stride")
        self.offset = offset
        self.stride = stride
    }
}

/// Absolute send deadlines of an open-loop schedule, or of this process's share of it.
struct ArrivalClock {
    private var next_: Double
    private let rate: Double
    private let process: ArrivalProcess
    private let burstiness: Double
    private var rng: SeededGenerator
    private var first = true
    private let share: ArrivalShare
    private var index = 0

    init(origin: UInt64, rate: Double, process: ArrivalProcess, burstiness: Double, seed: UInt64, share: ArrivalShare = .all) {
        next_ = Double(origin)
        self.share = share
        self.rate = rate
        self.process = process
        self.burstiness = burstiness
        rng = SeededGenerator(seed: seed ^ 0xA11C_E5)
    }

    /// The next deadline of this share (monotonic ns): the global schedule's arrivals are drawn in order, and those of other
    /// shares skipped, so every share sees the same global stream.
    mutating func next() -> UInt64 {
        while index % share.stride != share.offset {
            _ = nextOfAll()
            index += 1
        }
        index += 1
        return nextOfAll()
    }

    /// The next deadline of the global schedule; the first arrival is at the origin.
    private mutating func nextOfAll() -> UInt64 {
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
