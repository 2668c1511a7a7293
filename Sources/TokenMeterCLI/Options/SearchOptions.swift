import ArgumentParser
import TokenMeterBench
import TokenMeterCore

/// `--find-max`: search the highest load that meets `--slo` instead of sweeping fixed points.
struct SearchOptions: ParsableArguments {
    @Flag(help: "Search the highest concurrency (or, with --rate, arrival rate) that meets --slo: double until a probe misses, then bisect; every probe is kept as a point.")
    var findMax = false
    @Option(help: "Stop when the highest load that met the objective and the lowest that missed are this close, e.g. 10%.") var searchTolerance = "10%"
    @Option(help: "Most probes of a search.") var maxProbes = 12

    /// The search over the plan's first point (its concurrency or rate is where the search starts); nil without --find-max.
    func resolve(_ load: LoadPlan, objective: ServiceLevelObjective?) throws(ConfigError) -> CapacitySearch? {
        guard findMax else { return nil }
        guard objective != nil else {
            throw ConfigError(field: "find-max", message: "needs an objective to meet, e.g. --slo ttft_p99=2s,tpot_p99=50ms")
        }
        let text = searchTolerance.trimmingWhitespace
        let number = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let tolerance = number, tolerance > 0, tolerance < 1 else {
            throw ConfigError(field: "search-tolerance", message: "'\(searchTolerance)' is not a fraction such as 10% or 0.1")
        }
        guard (1...64).contains(maxProbes) else { throw ConfigError(field: "max-probes", message: "must be 1 to 64") }
        switch load.modes.first {
        case let .concurrency(c)?:
            return CapacitySearch(axis: .concurrency, start: Double(c), tolerance: tolerance, maxProbes: maxProbes)
        case let .rate(r, process, burstiness, cap)?:
            return CapacitySearch(axis: .rate(process, burstiness: burstiness, maxConcurrency: cap), start: r, tolerance: tolerance, maxProbes: maxProbes)
        default:
            throw ConfigError(field: "find-max", message: "a trace replay has no load to search; use --concurrency, --sessions or --rate")
        }
    }
}
