import ArgumentParser
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterTelemetry

/// Whether `bench` scrapes the server's Prometheus metrics.
enum ScrapeMode: String, CaseIterable, ExpressibleByArgument, Encodable, Sendable {
    /// When the server answers `/metrics`.
    case auto
    /// Never.
    case off
}

/// Where `bench` reads GPU power.
enum PowerKind: String, CaseIterable, ExpressibleByArgument, Encodable, Sendable {
    case off
    case nvidiaSMI = "nvidia-smi"
    case amdSMI = "amd-smi"
    case dcgm
}

/// What `bench` watches besides the requests: the server's metrics and the GPUs' power.
struct TelemetryOptions: ParsableArguments {
    @Option(help: "Scrape the server's Prometheus /metrics during each point: auto (when it answers) or off.") var scrapeMetrics = ScrapeMode.auto
    @Option(help: "Interval between /metrics scrapes, e.g. 1s.") var scrapeInterval = "1s"
    @Option(help: "GPU power during the run: off, nvidia-smi or amd-smi (a sidecar on this host), or dcgm (an exporter at --power-url).")
    var power = PowerKind.off
    @Option(help: "DCGM exporter metrics URL.") var powerUrl = "http://127.0.0.1:9400/metrics"
    @Option(help: "Command printing power CSV (nvidia-smi or amd-smi style, header optional), instead of the default sidecar call.")
    var powerCommand: String?
    @Option(help: "Interval between power readings, e.g. 500ms.") var powerInterval = "500ms"

    /// The telemetry plan, intervals and sources checked.
    func resolve() throws(ConfigError) -> TelemetryPlan {
        var scrape: Double?
        if scrapeMetrics == .auto {
            scrape = try DurationText.milliseconds(scrapeInterval, field: "scrape-interval") / 1000
            guard scrape! >= 0.05 else { throw ConfigError(field: "scrape-interval", message: "must be at least 50ms") }
        }
        let interval = try DurationText.milliseconds(powerInterval, field: "power-interval") / 1000
        guard interval >= 0.05 else { throw ConfigError(field: "power-interval", message: "must be at least 50ms") }
        return TelemetryPlan(scrapeIntervalSeconds: scrape, power: try source(intervalMilliseconds: Int((interval * 1000).rounded())),
                             powerIntervalSeconds: interval)
    }

    func source(intervalMilliseconds: Int) throws(ConfigError) -> PowerSource? {
        switch power {
        case .off: return nil
        case .dcgm:
            do { _ = try EndpointAddress(parsing: powerUrl) } catch {
                throw ConfigError(field: "power-url", message: error.message)
            }
            return .dcgm(url: powerUrl)
        case .nvidiaSMI, .amdSMI:
            if let powerCommand {
                let words = powerCommand.split(separator: " ").map(String.init)
                guard !words.isEmpty else { throw ConfigError(field: "power-command", message: "is empty") }
                return .command(words)
            }
            return power == .amdSMI ? .amdSMI(intervalMilliseconds: intervalMilliseconds) : .nvidiaSMI(intervalMilliseconds: intervalMilliseconds)
        }
    }
}
