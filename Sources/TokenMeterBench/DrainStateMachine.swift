import TokenMeterResults

/// What a point does with the requests still in flight once it stops sending, as a value: wait for them up to the drain
/// timeout (and never past the point's hard limit), or cancel them at once when the rule says so or the point was cut short.
struct DrainStateMachine {
    /// What the dispatcher does now.
    enum Action: Equatable {
        /// Keep collecting responses.
        case wait
        /// Cancel every request still in flight; `timedOut` when the drain timeout ran out.
        case cancelInFlight(timedOut: Bool)
    }

    private enum State: Equatable {
        case sending
        case draining(until: UInt64)
        case cancelled
    }

    private let rule: DrainRule
    private let timeoutNanoseconds: UInt64
    private let hardDeadline: UInt64
    private var state = State.sending

    /// A drain under `rule`, waiting at most `timeoutSeconds` and never past `hardDeadline` (monotonic ns).
    init(rule: DrainRule, timeoutSeconds: Double, hardDeadline: UInt64) {
        self.rule = rule
        timeoutNanoseconds = UInt64(timeoutSeconds * 1e9)
        self.hardDeadline = hardDeadline
    }

    /// Looks at the point at `now`: `cutShort` is nil while it still sends, else whether it stopped early (interrupted, or
    /// at its hard limit).
    mutating func tick(now: UInt64, cutShort: Bool?) -> Action {
        guard let cutShort else { return .wait }
        switch state {
        case .cancelled:
            return .wait
        case .sending:
            if rule == .cancel || cutShort {
                state = .cancelled
                return .cancelInFlight(timedOut: false)
            }
            state = .draining(until: min(now + timeoutNanoseconds, max(hardDeadline, now)))
            return .wait
        case let .draining(until):
            guard now >= until else { return .wait }
            state = .cancelled
            return .cancelInFlight(timedOut: true)
        }
    }
}
