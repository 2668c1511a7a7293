
import TokenMeterCore

import TokenMeterResults

/// How load is offered at one sweep point.
public enum LoadMode: Sendable, Equatable {
    /// Closed loop: this many requests always in flight.
    case concurrency(Int)
    /// Open loop: requests arrive at `rate` per second, optionally capped in flight.
    case rate(Double, ArrivalProcess, burstiness: Double, maxConcurrency: Int?)
    /// A trace at its recorded times divided by `speedup` (nil: as fast as `maxConcurrency` allows), optionally capped in flight.
    case replay(speedup: Double?, maxConcurrency: Int?)

    /// Short label such as `c=8`, `rate=5/s` or `replay x10`.
    public var label: String {
        switch self {
        case let .concurrency(c): "c=\(c)"
        case let .rate(r, _, _, _): "rate=\(r.formatted(decimals: 2))/s"
        case let .replay(speedup, cap):
            "replay " + (speedup.map { "x\($0.formatted(decimals: 2))" } ?? "max") + (cap.map { " (≤\($0) in flight)" } ?? "")
        }
    }

    /// Most requests (or conversations) in flight the mode allows, when it caps them.
    public var cap: Int? {
        switch self {
        case let .concurrency(c): c
        case let .rate(_, _, _, cap), let .replay(_, cap): cap
        }
    }
}

/// What to do with requests still in flight when a point's bound is reached.
public enum DrainRule: String, Codable, Sendable {
    /// Let them finish (up to the drain timeout); their tokens after the window do not count as throughput.
    case wait
    /// Cancel them at once; they are recorded as cancelled.
    case cancel
}

/// The bounds of one sweep point.
public struct PointBounds: Sendable {
    /// Warm-up requests (excluded from latency metrics).
    public var warmupRequests: Int
    /// Warm-up by time instead: requests scheduled in the first this-many seconds are warm-up.
    public var warmupSeconds: Double?
    /// Measured requests to send (count-bound points).
    public var measuredRequests: Int?
    /// Measurement duration in seconds (duration-bound points).
    public var durationSeconds: Double?
    /// In-flight rule at the end.
    public var drain: DrainRule
    /// Longest wait for in-flight requests after the bound.
    public var drainTimeoutSeconds: Double
    /// Hard limit on the whole point, warm-up and drain included.
    public var maxPointSeconds: Double
    /// Closed loop: slot k of c sends its first request at `k / c` of this (seconds) after the start.
    public var rampUpSeconds: Double

    /// Creates bounds.
    public init(warmupRequests: Int = 0, warmupSeconds: Double? = nil, measuredRequests: Int? = nil, durationSeconds: Double? = nil,
                drain: DrainRule = .wait, drainTimeoutSeconds: Double = 60, maxPointSeconds: Double = 600,
                rampUpSeconds: Double = 0) {
        self.warmupRequests = warmupRequests
        self.warmupSeconds = warmupSeconds
        self.measuredRequests = measuredRequests
        self.durationSeconds = durationSeconds
        self.drain = drain
        self.drainTimeoutSeconds = drainTimeoutSeconds
        self.maxPointSeconds = maxPointSeconds
        self.rampUpSeconds = rampUpSeconds
    }
}

/// The outcome of one sweep point: every record, the window, and why it stopped.
public struct PointRun: Sendable {
    /// Every request of the point, warm-up included, in send order.
    public var records: [RequestRecord]
    /// The measurement window.
    public var window: MeasurementWindow
    /// Offered request rate of an open-loop point.
    public var offeredRequestsPerSecond: Double?
    /// True when the run was interrupted (Ctrl-C) or hit its hard time limit.
    public var partial: Bool
    /// What ended the point, in words.
    public var stoppedBy: String
}
