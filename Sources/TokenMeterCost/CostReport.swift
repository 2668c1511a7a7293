import TokenMeterCore

/// One priced operating point: what it delivers and what it costs under each profile.
public struct PricedPoint: Codable, Sendable, Equatable {
    /// Point label (`c=8`, `at 50 tok/s/user`, `bare`).
    public var label: String
    /// The delivery priced.
    public var delivery: Delivery
    /// One cost per profile, in profile order.
    public var costs: [PointCost]
}

/// A whole cost answer: priced points, the service-level readings, fleet sizing and the comparison.
public struct CostReport: Codable, Sendable, Equatable {
    /// Profile names in order.
    public var profiles: [String]
    /// Every measured (or bare) point, priced.
    public var points: [PricedPoint]
    /// The delivery interpolated at the requested interactivity, priced.
    public var atInteractivity: PricedPoint?
    /// The best point meeting the SLA, priced.
    public var atSLA: PricedPoint?
    /// The objective `atSLA` was read at.
    public var sla: ServiceLevelObjective?
    /// What the power budget buys, per hardware profile.
    public var fleets: [FleetSizing]
    /// The three metrics, ranked, when several profiles were compared.
    public var comparison: ThreeMetricComparison?
    /// Things to know (boundaries not comparable, no point meets the SLA).
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case profiles, points, atInteractivity = "at_interactivity", atSLA = "at_sla", sla, fleets, comparison, notes
    }

    /// Prices `points` under `profiles`, reads the front at `interactivity` and the SLA, sizes a fleet, compares.
    public init(profiles: [CostProfile], points: [(label: String, delivery: Delivery, metrics: PointMetrics?)], pricer: Pricer,
                interactivity: Double? = nil, sla: ServiceLevelObjective? = nil, fleetMegawatts: Double? = nil,
                selling: SellingPrice? = nil) throws(ConfigError) {
        func priced(_ label: String, _ d: Delivery) -> PricedPoint {
            PricedPoint(label: label, delivery: d, costs: profiles.map { pricer.cost(of: d, $0, selling: selling) })
        }
        self.profiles = profiles.map(\.name)
        self.points = points.map { priced($0.label, $0.delivery) }
        self.sla = sla
        notes = []
        fleets = []
        if let interactivity {
            let d = try ServiceLevelCost.delivery(atInteractivity: interactivity, points: points.map(\.delivery))
            atInteractivity = priced("at \(interactivity) tok/s/user", d)
        }
        if let sla {
            let measured = points.compactMap(\.metrics)
            if measured.count == points.count, let best = ServiceLevelCost.best(meeting: sla, points: measured) {
                atSLA = priced("\(points[best.index].label) meets \(sla)", points[best.index].delivery)
            } else if measured.count != points.count {
                throw ConfigError(field: "sla", message: "an SLA needs measured points (--result), not a bare throughput")
            } else {
                notes.append("no point meets \(sla)")
            }
        }
        if let fleetMegawatts {
            // The point the fleet runs at: the interactivity reading if there is one, else the highest throughput.
            guard let delivery = atInteractivity?.delivery ?? atSLA?.delivery ?? self.points.max(by: { $0.delivery.totalPerGPU < $1.delivery.totalPerGPU })?.delivery
            else { throw ConfigError(field: "fleet-mw", message: "nothing to size a fleet with") }
            for profile in profiles where GPUHourCost(profile) != nil {
                fleets.append(try FleetSizing(megawatts: fleetMegawatts, profile: profile, delivery: delivery))
            }
        }
        if profiles.count > 1 {
            let row = atInteractivity ?? atSLA ?? self.points.max(by: { $0.delivery.totalPerGPU < $1.delivery.totalPerGPU })
            if let row { comparison = ThreeMetricComparison(row.costs) }
            if let note = Pricer.boundaryNote(profiles) { notes.append(note) }
        }
    }
}
