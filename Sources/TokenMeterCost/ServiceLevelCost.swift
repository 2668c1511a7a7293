import TokenMeterCore

/// Prices read off a front: throughput at a target interactivity (monotone spline, never extrapolated) and at an SLA.
public enum ServiceLevelCost {
    /// The delivery at `interactivity` interpolated through the fronts of `points`; an error names the covered range.
    public static func delivery(atInteractivity target: Double, points: [Delivery]) throws(ConfigError) -> Delivery {
        let usable = points.filter { ($0.interactivity ?? 0) > 0 }
        let total = ParetoFront(usable.map { FrontPoint(interactivity: $0.interactivity!, throughputPerGPU: $0.totalPerGPU) })
        let output = ParetoFront(usable.map { FrontPoint(interactivity: $0.interactivity!, throughputPerGPU: $0.outputPerGPU) })
        guard let range = total.interactivityRange else {
            throw ConfigError(field: "at-interactivity", message: "no point has an interactivity (streamed requests with at least 2 tokens)")
        }
        guard let totalRate = total.throughput(atInteractivity: target), let outputRate = output.throughput(atInteractivity: target) else {
            throw ConfigError(field: "at-interactivity",
                              message: "\(target) tok/s/user is outside the measured front (\(round2(range.lowerBound))…\(round2(range.upperBound)) tok/s/user); costs are never extrapolated")
        }
        var delivery = Delivery(inputPerGPU: max(0, totalRate - outputRate), outputPerGPU: min(outputRate, totalRate), interactivity: target,
                                split: usable.first?.split)
        // Between measured points: the nearest point's window slices, scaled to the interpolated rate, give the interval.
        if let nearest = usable.min(by: { abs($0.interactivity! - target) < abs($1.interactivity! - target) }), nearest.totalPerGPU > 0 {
            let scale = delivery.totalPerGPU / nearest.totalPerGPU
            delivery.totalSlicesPerGPU = nearest.totalSlicesPerGPU.map { $0 * scale }
            delivery.outputSlicesPerGPU = nearest.outputSlicesPerGPU.map { $0 * scale }
        }
        return delivery
    }

    /// The highest-throughput point whose p99 TTFT and p99 TPOT meet the objective, with its index; nil when none does.
    public static func best(meeting objective: ServiceLevelObjective, points: [PointMetrics]) -> (index: Int, metrics: PointMetrics)? {
        let passing = points.enumerated().filter { _, m in
            objective.bounds.allSatisfy { bound in
                let d: Distribution? = switch bound.metric {
                case .ttft: m.ttftMs
                case .tpot: m.tpotMs
                case .e2e: m.e2eMs
                }
                guard let v = d?.value(atPercentile: bound.percentile) else { return false }
                return v <= bound.limitMilliseconds
            }
        }
        return passing.max { $0.element.totalTokensPerSecond < $1.element.totalTokensPerSecond }.map { ($0.offset, $0.element) }
    }

    static func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
}

/// What a power budget buys: GPUs, throughput and users.
public struct FleetSizing: Codable, Sendable, Equatable {
    /// Power budget, MW (provisioned all-in).
    public var megawatts: Double
    /// All-in kW per GPU.
    public var kilowattsPerGPU: Double
    /// `floor(MW × 1000 / kW per GPU)`.
    public var gpus: Int
    /// Fleet tokens per second, all tokens.
    public var totalTokensPerSecond: Double
    /// Fleet output tokens per second.
    public var outputTokensPerSecond: Double
    /// Concurrent users served at the delivery's interactivity.
    public var usersServed: Double?
    /// What the fleet costs per hour of service.
    public var usdPerHour: Double?

    enum CodingKeys: String, CodingKey {
        case megawatts, kilowattsPerGPU = "kw_per_gpu", gpus, totalTokensPerSecond = "total_tok_s", outputTokensPerSecond = "output_tok_s"
        case usersServed = "users_served", usdPerHour = "usd_per_hour"
    }

    /// Sizes a fleet; the profile's power must be provisioned all-in, since a power budget is.
    public init(megawatts: Double, profile: CostProfile, delivery: Delivery) throws(ConfigError) {
        guard megawatts > 0, megawatts.isFinite else { throw ConfigError(field: "fleet-mw", message: "must be a positive number of MW") }
        guard let power = profile.power else {
            throw ConfigError(field: "fleet-mw", message: "\(profile.name) has no power figure; name a catalog --gpu or pass --power-kw")
        }
        guard power.boundary == .provisionedAllIn else {
            throw ConfigError(field: "fleet-mw", message: "a power budget is provisioned all-in, but \(profile.name)'s power is \(power.boundary.rawValue); "
                + "pass --power-kw KW --power-boundary provisioned-all-in")
        }
        self.megawatts = megawatts
        kilowattsPerGPU = power.kilowattsPerGPU
        gpus = Int((megawatts * 1000 / power.kilowattsPerGPU).rounded(.down))
        totalTokensPerSecond = Double(gpus) * delivery.totalPerGPU
        outputTokensPerSecond = Double(gpus) * delivery.outputPerGPU
        usersServed = delivery.interactivity.flatMap { $0 > 0 ? outputTokensPerSecond / $0 : nil }
        usdPerHour = GPUHourCost(profile).map { $0.usdPerUsedGPUHour * Double(gpus) }
    }
}
