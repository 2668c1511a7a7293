import ArgumentParser
import TokenMeterCore

/// `--slo`: a service-level objective.
struct SLOOption: ParsableArguments {
    @Option(help: "Service-level objective, e.g. ttft_p99=2s,tpot_p99=80ms, or an MLPerf preset such as mlperf-llama3.1-8b.") var slo: String?

    /// The objective, when given.
    func objective() throws(ConfigError) -> ServiceLevelObjective? {
        try slo.map { s throws(ConfigError) in try ServiceLevelObjective(presetOrSpec: s) }
    }
}

/// `--concurrency`: the concurrencies to sweep.
struct ConcurrencyOption: ParsableArguments {
    @Option(help: "Concurrencies to sweep, e.g. 1,2,4,8 (bench default 1,4,16,64 unless --rate; predict default 1,2,4,...,256).")
    var concurrency: CommaList<Int>?

    /// The levels, or `fallback`; each from 1 to 100,000.
    func levels(default fallback: [Int]) throws(ConfigError) -> [Int] {
        try Self.check(concurrency?.values ?? fallback, field: "concurrency")
    }

    /// Levels from 1 to 100,000, or an error naming `field`.
    static func check(_ levels: [Int], field: String) throws(ConfigError) -> [Int] {
        guard !levels.isEmpty, levels.allSatisfy({ $0 >= 1 && $0 <= 100_000 }) else {
            throw ConfigError(field: field, message: "must be whole numbers from 1 to 100000, e.g. --\(field) 1,2,4,8")
        }
        return levels
    }
}

/// `--isl`, `--osl`: prompt and output lengths.
struct LengthOptions: ParsableArguments {
    @Option(help: "Input tokens: 1024, uniform:512-2048 or normal:MEAN,SD,MIN,MAX (bench default 256, predict 1024; predict takes the mean).")
    var isl: String?
    @Option(help: "Output tokens, the same forms as --isl (bench default 128, predict 1024).") var osl: String?
}

/// `--at-interactivity`: where on a front a cost is read.
struct InteractivityOption: ParsableArguments {
    @Option(help: "Read the cost at this interactivity (tok/s/user) off the front (runs compare default: each run's highest-throughput point).")
    var atInteractivity: Double?

    /// The interactivity, checked.
    func value() throws(ConfigError) -> Double? {
        if let atInteractivity, !(atInteractivity > 0) {
            throw ConfigError(field: "at-interactivity", message: "must be a positive number of tokens per second per user")
        }
        return atInteractivity
    }
}
