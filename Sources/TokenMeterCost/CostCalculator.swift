import TokenMeterCore

/// $/Mtok from $/GPU-hour and tokens per second per GPU: `$/GPU-hr × 1e6 / (3600 × tok/s/GPU)`.
public func usdPerMillionTokens(usdPerGPUHour: Double, tokensPerSecondPerGPU: Double) -> Double? {
    guard tokensPerSecondPerGPU > 0, usdPerGPUHour >= 0 else { return nil }
    return usdPerGPUHour * 1e6 / (3600 * tokensPerSecondPerGPU)
}

/// A selling price per million tokens.
public struct SellingPrice: Codable, Sendable, Equatable {
    /// $/Mtok for input tokens.
    public var usdPerMtokInput: Double
    /// $/Mtok for output tokens.
    public var usdPerMtokOutput: Double

    /// Creates a price.
    public init(input: Double, output: Double) {
        usdPerMtokInput = input
        usdPerMtokOutput = output
    }
}

/// Prices deliveries under cost profiles.
public struct CostCalculator: Sendable {
    /// Input : output weights for a card's blended price.
    public var blendInput: Double
    /// Output weight.
    public var blendOutput: Double

    /// Creates a calculator with a blend (3:1 by default).
    public init(blendInput: Double = 3, blendOutput: Double = 1) {
        self.blendInput = blendInput
        self.blendOutput = blendOutput
    }

    /// Prices one delivery.
    public func price(_ d: Delivery, profile: CostProfile, selling: SellingPrice? = nil) -> PointCost {
        let mix = d.outputPerGPU > 0 ? d.inputPerGPU / d.outputPerGPU : 0
        let wasted = d.wastedOutputPerGPU + d.outputPerGPU > 0 ? d.wastedOutputPerGPU / (d.wastedOutputPerGPU + d.outputPerGPU) : 0
        if case let .api(card) = profile.kind { return price(d, card: card, profile: profile, mix: mix, wasted: wasted) }
        let hour = GPUHourCost(profile)!
        let perHour = hour.usdPerUsedGPUHour
        // Disaggregated: decode GPUs make the output, prefill GPUs the input, all of them the total.
        var outputRate = d.outputPerGPU
        var inputRate = d.inputPerGPU
        if let split = d.split, split.prefillGPUs > 0, split.decodeGPUs > 0 {
            let all = Double(split.prefillGPUs + split.decodeGPUs)
            outputRate = d.outputPerGPU * all / Double(split.decodeGPUs)
            inputRate = d.inputPerGPU * all / Double(split.prefillGPUs)
        }
        let total = usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: d.totalPerGPU)
        let measuredPower = d.measuredWattsPerGPU.flatMap {
            Self.figures(PowerSpec(kilowattsPerGPU: $0 / 1000, boundary: .gpuBoardMeasured, source: "measured during the run"), d)
        }
        let peak = profile.gpu?.peakTFLOPSDense[profile.precision]?.value
        return PointCost(
            profile: profile.name, gpuHour: hour, usdPerMtokTotal: total,
            usdPerMtokInput: usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: inputRate),
            usdPerMtokOutput: usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: outputRate),
            inputPerOutput: mix, usdPerMtokBlendedCard: nil, tokensPerDollar: total.map { 1e6 / $0 },
            usdPerMtokGoodOutput: d.goodOutputPerGPU.flatMap { usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: $0) },
            wastedOutputFraction: wasted, usdPerMtokTotalInterval: Self.interval(d.totalSlicesPerGPU, perHour: perHour),
            usdPerMtokOutputInterval: Self.interval(d.outputSlicesPerGPU, perHour: perHour),
            power: profile.power.flatMap { Self.figures($0, d) }, measuredPower: measuredPower,
            teraflopPerDollar: peak.map { $0 * 3600 / perHour }, margin: selling.map { Self.margin($0, d, profile: profile, hour: hour) })
    }

    /// An API card prices exactly the tokens the provider bills: the measured mix through the card.
    func price(_ d: Delivery, card: APIPriceCard, profile: CostProfile, mix: Double, wasted: Double) -> PointCost {
        let cachedShare = min(max(d.cachedInputFraction, 0), 1)
        let reasoningShare = min(max(d.reasoningOutputFraction, 0), 1)
        let inputPrice = card.usdPerMtokInput * (1 - cachedShare) + card.usdPerMtokCachedInput * cachedShare
        let outputPrice = card.usdPerMtokOutput * (1 - reasoningShare) + card.usdPerMtokReasoningOutput * reasoningShare
        let total = d.totalPerGPU > 0 ? (d.inputPerGPU * inputPrice + d.outputPerGPU * outputPrice) / d.totalPerGPU : nil
        return PointCost(
            profile: profile.name, gpuHour: nil, usdPerMtokTotal: total, usdPerMtokInput: inputPrice,
            usdPerMtokOutput: outputPrice, inputPerOutput: mix,
            usdPerMtokBlendedCard: card.blended(inputWeight: blendInput, outputWeight: blendOutput),
            tokensPerDollar: total.map { 1e6 / $0 }, usdPerMtokGoodOutput: nil, wastedOutputFraction: wasted,
            usdPerMtokTotalInterval: nil, usdPerMtokOutputInterval: nil, power: nil, measuredPower: nil, teraflopPerDollar: nil, margin: nil)
    }

    /// The cost interval of throughput samples. Cost is 1/throughput: the throughput interval's upper end gives the low cost,
    /// its lower end the high one.
    static func interval(_ slices: [Double], perHour: Double) -> CostInterval? {
        guard let ci = ConfidenceInterval(samples: slices), ci.upper > 0,
              let low = usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: ci.upper) else { return nil }
        return CostInterval(low: low, high: usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: ci.lower),
                            samples: ci.samples)
    }

    /// Tokens per second per MW and joules per token at a power per GPU.
    static func figures(_ spec: PowerSpec, _ d: Delivery) -> PowerFigures? {
        guard spec.kilowattsPerGPU > 0 else { return nil }
        let watts = spec.kilowattsPerGPU * 1000
        return PowerFigures(
            boundary: spec.boundary, kilowattsPerGPU: spec.kilowattsPerGPU,
            totalTokensPerSecondPerMW: d.totalPerGPU * 1000 / spec.kilowattsPerGPU,
            outputTokensPerSecondPerMW: d.outputPerGPU * 1000 / spec.kilowattsPerGPU,
            joulesPerToken: d.totalPerGPU > 0 ? watts / d.totalPerGPU : nil,
            joulesPerOutputToken: d.outputPerGPU > 0 ? watts / d.outputPerGPU : nil,
            joulesPerInputToken: d.inputPerGPU > 0 ? watts / d.inputPerGPU : nil)
    }

    /// Revenue and gross margin per GPU-hour at a selling price, and per MW-year when the power is provisioned all-in.
    static func margin(_ selling: SellingPrice, _ d: Delivery, profile: CostProfile, hour: GPUHourCost) -> Margin {
        let perHour = hour.usdPerUsedGPUHour
        let revenue = (d.inputPerGPU * selling.usdPerMtokInput + d.outputPerGPU * selling.usdPerMtokOutput) * 3600 / 1e6
        var revenuePerMWYear: Double?
        var costPerMWYear: Double?
        if let spec = profile.power, spec.boundary == .provisionedAllIn {
            let gpusPerMW = (1000 / spec.kilowattsPerGPU).rounded(.down)
            revenuePerMWYear = revenue * 8760 * hour.utilisation * gpusPerMW
            costPerMWYear = hour.usdPerWallGPUHour * 8760 * gpusPerMW
        }
        return Margin(revenueUSDPerGPUHour: revenue, costUSDPerGPUHour: perHour,
                      grossMargin: revenue > 0 ? (revenue - perHour) / revenue : nil,
                      revenueUSDPerMWYear: revenuePerMWYear, costUSDPerMWYear: costPerMWYear)
    }
}
