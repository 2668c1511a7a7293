#if canImport(Glibc)
import Glibc
#endif
import TokenMeterBench
import TokenMeterCore

/// The open-file limit: every stream holds a socket, and many systems start processes with a soft limit of 1,024.
enum OpenFileLimit {
    /// Raises the soft limit to the hard one (as load generators do) and returns the limit now in force.
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY (all ones) clamps to Int.max
    }

    /// Fails before anything is measured when a point would hold more connections than the process may open.
    static func check(_ modes: [LoadMode], limit: Int) throws(ConfigError) {
        let peak = modes.compactMap { mode -> Int? in
            switch mode {
            case let .concurrency(c): c
            case let .rate(_, _, _, cap), let .replay(_, cap): cap
            }
        }.max() ?? 0
        // Room for the store, the result files, the built-in target's own sockets and the scrapers.
        let needed = peak + 256
        guard needed > limit else { return }
        throw ConfigError(field: "concurrency", message: "\(peak) concurrent streams need about \(needed) open files, but this process may open \(limit); raise the hard limit (ulimit -Hn, or LimitNOFILE for a service) or lower the concurrency")
    }
}
