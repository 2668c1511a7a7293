import TokenMeterModel

/// Fitted efficiencies as a table row, the same in `validate` (one row per engine) and `calibrate` (the fit just made).
enum EfficiencyText {
    /// The column headings, in the order of `cells`.
    static let headings = ["memory eff", "compute eff", "fixed ms", "per-layer µs", "prefill batching", "prefill in decode", "collective µs",
                           "request ms", "comm exposed", "in lock step", "simulated request ms"]

    /// One fit's values under `headings`.
    static func cells(_ e: Efficiency) -> [String] {
        [Format.percent(e.memory, 1), Format.percent(e.compute, 1), Format.number(e.fixedMilliseconds, 1), Format.number(e.perLayerMicroseconds, 1),
         Format.percent(e.prefillBatching, 1), Format.percent(e.prefillInterference, 1), Format.number(e.collectiveLatencyMicroseconds, 1),
         Format.number(e.requestMilliseconds, 1), Format.percent(e.communication, 0), Format.percent(e.lockstep, 0),
         Format.number(e.simulatedRequestMilliseconds, 1)]
    }
}
