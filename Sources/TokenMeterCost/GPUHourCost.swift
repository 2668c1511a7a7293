import TokenMeterCore

/// The capital-recovery factor: the yearly payment that repays 1 over `years` at `rate`.
public func capitalRecoveryFactor(rate: Double, years: Double) -> Double {
    guard rate > 0 else { return 1 / years }
    let growth = pow(1 + rate, years)
    return rate * growth / (growth - 1)
}

/// What one GPU-hour of serving costs, and what it is made of: the iceberg under the sticker price.
public struct GPUHourCost: Codable, Sendable, Equatable {
    /// Effective $ per GPU-hour that serves traffic (paid hours ÷ utilisation).
    public var usdPerUsedGPUHour: Double
    /// $ per wall-clock GPU-hour (the sticker price for rentals).
    public var usdPerWallGPUHour: Double
    /// Fraction of wall hours that serve traffic.
    public var utilisation: Double
    /// Parts of `usdPerUsedGPUHour` (capex, energy, hosting, software, operations, rental, idle time); they add up to it.
    public var breakdown: [Part]

    /// One named part of the cost.
    public struct Part: Codable, Sendable, Equatable {
        /// What it is.
        public var name: String
        /// $ per used GPU-hour.
        public var usdPerGPUHour: Double
    }

    enum CodingKeys: String, CodingKey {
        case usdPerUsedGPUHour = "usd_per_used_gpu_hour", usdPerWallGPUHour = "usd_per_wall_gpu_hour", utilisation, breakdown
    }

    /// The cost of an hour of a hardware profile; nil for an API card.
    public init?(_ profile: CostProfile) {
        let hoursPerYear = 8760.0
        switch profile.kind {
        case .api:
            return nil
        case let .rental(price):
            self.init(wall: [("rental", price)], utilisation: profile.utilisation)
        case let .tier(name, figure):
            self.init(wall: [("\(name) tier", figure.value)], utilisation: profile.utilisation)
        case let .owned(o):
            let capex = o.capexUSDPerGPU + (o.capexUSDPerServer + o.networkUSDPerServer) / Double(o.gpusPerServer)
            let residual = o.residualFraction * capex / pow(1 + o.costOfCapital, o.lifeYears)
            let annualCapex = (capex - residual) * capitalRecoveryFactor(rate: o.costOfCapital, years: o.lifeYears)
            // IT load and facility load per GPU, from the declared boundary.
            var itKilowatts = o.power.kilowattsPerGPU
            var facilityKilowatts = o.power.kilowattsPerGPU * o.pue
            switch o.power.boundary {
            case .gpuBoardMeasured:
                itKilowatts += o.hostKilowattsPerGPU
                facilityKilowatts = itKilowatts * o.pue
            case .nodeMeasured:
                break
            case .provisionedAllIn:
                itKilowatts = o.power.kilowattsPerGPU / o.pue
                facilityKilowatts = o.power.kilowattsPerGPU
            }
            let meanLoad = o.loadSchedule.reduce(0, +) / Double(o.loadSchedule.count)
            let energyFactor = o.loadSchedule.reduce(0) { $0 + $1 + (1 - $1) * o.idlePowerFraction } / Double(o.loadSchedule.count)
            let annualEnergy = facilityKilowatts * hoursPerYear * energyFactor * o.usdPerKilowattHour
            let annualHosting = itKilowatts * o.hostingUSDPerKilowattMonth * 12
            self.init(wall: [
                ("capex", annualCapex / hoursPerYear), ("energy", annualEnergy / hoursPerYear), ("hosting", annualHosting / hoursPerYear),
                ("software", o.softwareUSDPerGPUYear / hoursPerYear), ("operations", o.operationsUSDPerGPUYear / hoursPerYear),
            ], utilisation: meanLoad)
        }
    }

    private init(wall parts: [(String, Double)], utilisation: Double) {
        let wall = parts.reduce(0) { $0 + $1.1 }
        usdPerWallGPUHour = wall
        self.utilisation = utilisation
        usdPerUsedGPUHour = wall / utilisation
        breakdown = parts.map { Part(name: $0.0, usdPerGPUHour: $0.1) }
        if utilisation < 1 { breakdown.append(Part(name: "idle time", usdPerGPUHour: wall / utilisation - wall)) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
