import TokenMeterCore

/// $/Mtok from $/GPU-hour and tokens per second per GPU: `$/GPU-hr × 1e6 / (3600 × tok/s/GPU)`.
public func usdPerMillionTokens(usdPerGPUHour: Double, tokensPerSecondPerGPU: Double) -> Double? {
    guard tokensPerSecondPerGPU > 0, usdPerGPUHour >= 0 else { return nil }
    return usdPerGPUHour * 1e6 / (3600 * tokensPerSecondPerGPU)
}

/// How a measured or predicted point delivers tokens, per GPU.
public struct Delivery: Codable, Sendable, Equatable {
    /// Input (prefill) tokens per second per GPU.
    public var inputPerGPU: Double
    /// Output (decode) tokens per second per GPU.
    public var outputPerGPU: Double
    /// Interactivity of the point, tok/s/user, if known.
    public var interactivity: Double?
    /// Good output tokens per second per GPU (requests meeting the SLO), if known.
    public var goodOutputPerGPU: Double?
    /// Output tokens streamed to failed requests, per second per GPU (paid for, not delivered).
    public var wastedOutputPerGPU: Double
    /// Total tok/s/GPU of each window slice, for a confidence interval.
    public var totalSlicesPerGPU: [Double]
    /// Output tok/s/GPU of each window slice.
    public var outputSlicesPerGPU: [Double]
    /// Disaggregated serving: prefill and decode GPU counts (throughputs above are then per all GPUs).
    public var split: DisaggregatedSplit?
    /// Cached prompt tokens as a fraction of input tokens (for API cards with a cache price).
    public var cachedInputFraction: Double
    /// Reasoning tokens as a fraction of output tokens (for API cards with a reasoning price).
    public var reasoningOutputFraction: Double
    /// Measured board power per GPU during the point, W (gpu-board-measured), when it was measured and valid.
    public var measuredWattsPerGPU: Double?

    /// Creates a delivery from per-GPU rates.
    public init(inputPerGPU: Double, outputPerGPU: Double, interactivity: Double? = nil, goodOutputPerGPU: Double? = nil,
                wastedOutputPerGPU: Double = 0, totalSlicesPerGPU: [Double] = [], outputSlicesPerGPU: [Double] = [],
                split: DisaggregatedSplit? = nil, cachedInputFraction: Double = 0, reasoningOutputFraction: Double = 0) {
        self.inputPerGPU = inputPerGPU
        self.outputPerGPU = outputPerGPU
        self.interactivity = interactivity
        self.goodOutputPerGPU = goodOutputPerGPU
        self.wastedOutputPerGPU = wastedOutputPerGPU
        self.totalSlicesPerGPU = totalSlicesPerGPU
        self.outputSlicesPerGPU = outputSlicesPerGPU
        self.split = split
        self.cachedInputFraction = cachedInputFraction
        self.reasoningOutputFraction = reasoningOutputFraction
    }

    /// Input plus output per GPU.
    public var totalPerGPU: Double { inputPerGPU + outputPerGPU }

    /// A measured point's delivery; `gpus` and `split` come from how the endpoint was deployed.
    public init(metrics m: PointMetrics, split: DisaggregatedSplit? = nil) {
        let gpus = Double(split.map { $0.prefillGPUs + $0.decodeGPUs } ?? m.gpus)
        let window = m.windowSeconds
        self.init(
            inputPerGPU: m.inputTokensPerSecond / gpus, outputPerGPU: m.outputTokensPerSecond / gpus,
            interactivity: m.interactivityMedian, goodOutputPerGPU: m.goodput.map { $0.goodOutputTokensPerSecond / gpus },
            wastedOutputPerGPU: window > 0 ? Double(m.failedRequestOutputTokens) / window / gpus : 0,
            totalSlicesPerGPU: (m.totalTokensPerSecondSlices ?? []).map { $0 / gpus },
            outputSlicesPerGPU: (m.outputTokensPerSecondSlices ?? []).map { $0 / gpus }, split: split,
            cachedInputFraction: Self.share(m.cachedPromptTokens, of: m.promptTokensSucceeded),
            reasoningOutputFraction: Self.share(m.reasoningTokens, of: m.outputTokensSucceeded))
    }

    static func share(_ part: Int?, of whole: Int?) -> Double {
        guard let part, let whole, whole > 0 else { return 0 }
        return min(1, Double(part) / Double(whole))
    }
}

/// Prefill and decode pools of a disaggregated deployment.
public struct DisaggregatedSplit: Codable, Sendable, Equatable {
    /// GPUs doing prefill.
    public var prefillGPUs: Int
    /// GPUs doing decode.
    public var decodeGPUs: Int

    /// Creates a split.
    public init(prefillGPUs: Int, decodeGPUs: Int) {
        self.prefillGPUs = prefillGPUs
        self.decodeGPUs = decodeGPUs
    }

    enum CodingKeys: String, CodingKey { case prefillGPUs = "prefill_gpus", decodeGPUs = "decode_gpus" }
}

/// Power and energy figures of a point at one declared boundary.
public struct PowerFigures: Codable, Sendable, Equatable {
    /// The boundary every figure here is at.
    public var boundary: PowerBoundary
    /// kW per GPU used.
    public var kilowattsPerGPU: Double
    /// Total tokens per second per MW.
    public var totalTokensPerSecondPerMW: Double
    /// Output tokens per second per MW.
    public var outputTokensPerSecondPerMW: Double
    /// Joules per token, all tokens (nil without tokens).
    public var joulesPerToken: Double?
    /// Joules per output token (the whole power charged to output; nil without output).
    public var joulesPerOutputToken: Double?
    /// Joules per input token (the whole power charged to input).
    public var joulesPerInputToken: Double?

    enum CodingKeys: String, CodingKey {
        case boundary, kilowattsPerGPU = "kw_per_gpu", totalTokensPerSecondPerMW = "total_tok_s_per_mw"
        case outputTokensPerSecondPerMW = "output_tok_s_per_mw", joulesPerToken = "j_per_token"
        case joulesPerOutputToken = "j_per_output_token", joulesPerInputToken = "j_per_input_token"
    }
}

/// Revenue and gross margin at a selling price.
public struct Margin: Codable, Sendable, Equatable {
    /// Revenue per used GPU-hour.
    public var revenueUSDPerGPUHour: Double
    /// Cost per used GPU-hour.
    public var costUSDPerGPUHour: Double
    /// (revenue − cost) ÷ revenue; nil without revenue.
    public var grossMargin: Double?
    /// Revenue per MW-year of provisioned all-in power (nil unless power is at that boundary).
    public var revenueUSDPerMWYear: Double?
    /// Cost per MW-year.
    public var costUSDPerMWYear: Double?

    enum CodingKeys: String, CodingKey {
        case revenueUSDPerGPUHour = "revenue_usd_per_gpu_hour", costUSDPerGPUHour = "cost_usd_per_gpu_hour", grossMargin = "gross_margin"
        case revenueUSDPerMWYear = "revenue_usd_per_mw_year", costUSDPerMWYear = "cost_usd_per_mw_year"
    }
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

/// Everything a cost profile says about one delivery.
public struct PointCost: Codable, Sendable, Equatable {
    /// Profile name.
    public var profile: String
    /// The GPU-hour cost and its breakdown (nil for an API card).
    public var gpuHour: GPUHourCost?
    /// $/Mtok with the whole cost charged to all tokens (the blended price at the measured mix).
    public var usdPerMtokTotal: Double?
    /// $/Mtok with the cost charged to input tokens (prefill GPUs only when disaggregated).
    public var usdPerMtokInput: Double?
    /// $/Mtok with the cost charged to output tokens (decode GPUs only when disaggregated).
    public var usdPerMtokOutput: Double?
    /// Input tokens per output token in the measured mix.
    public var inputPerOutput: Double
    /// An API card's blended price at the chosen weights (3:1 by default).
    public var usdPerMtokBlendedCard: Double?
    /// Tokens (all) per dollar.
    public var tokensPerDollar: Double?
    /// $/Mtok of good output tokens (requests that met the SLO).
    public var usdPerMtokGoodOutput: Double?
    /// Fraction of streamed output tokens that went to failed requests (paid for, not delivered).
    public var wastedOutputFraction: Double
    /// 95% interval of `usdPerMtokTotal` from window slices or repeats.
    public var usdPerMtokTotalInterval: CostInterval?
    /// 95% interval of `usdPerMtokOutput`.
    public var usdPerMtokOutputInterval: CostInterval?
    /// Power figures at the profile's declared boundary.
    public var power: PowerFigures?
    /// Power figures from the run's own board-power measurement (always `gpu-board-measured`), next to `power`, never mixed.
    public var measuredPower: PowerFigures?
    /// Peak TFLOP bought per dollar at the profile's precision.
    public var teraflopPerDollar: Double?
    /// Revenue and margin when a selling price was given.
    public var margin: Margin?

    enum CodingKeys: String, CodingKey {
        case profile, gpuHour = "gpu_hour", usdPerMtokTotal = "usd_per_mtok_total", usdPerMtokInput = "usd_per_mtok_input"
        case usdPerMtokOutput = "usd_per_mtok_output", inputPerOutput = "input_per_output"
        case usdPerMtokBlendedCard = "usd_per_mtok_blended_card", tokensPerDollar = "tokens_per_usd"
        case usdPerMtokGoodOutput = "usd_per_mtok_good_output", wastedOutputFraction = "wasted_output_fraction"
        case usdPerMtokTotalInterval = "usd_per_mtok_total_ci95", usdPerMtokOutputInterval = "usd_per_mtok_output_ci95"
        case power, measuredPower = "measured_power", teraflopPerDollar = "tflop_per_usd", margin
    }
}

/// A 95% interval of a cost, mapped from the interval of the throughput it divides by (so it is not symmetric).
public struct CostInterval: Codable, Sendable, Equatable {
    /// Cost at the upper end of the throughput interval.
    public var low: Double
    /// Cost at the lower end of the throughput interval; nil when that end reaches zero (unbounded).
    public var high: Double?
    /// Samples (window slices or repeated runs) behind the interval.
    public var samples: Int
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
        if case let .api(card) = profile.kind {
            // The provider bills exactly these tokens: price the measured mix through the card.
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
        func interval(_ slices: [Double]) -> CostInterval? {
            // Cost is 1/throughput: the throughput interval's upper end gives the low cost, its lower end the high one.
            guard let ci = ConfidenceInterval(samples: slices), ci.upper > 0,
                  let low = usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: ci.upper) else { return nil }
            return CostInterval(low: low, high: usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: ci.lower),
                                samples: ci.samples)
        }
        func figures(_ spec: PowerSpec) -> PowerFigures? {
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
        let power = profile.power.flatMap(figures)
        let measuredPower = d.measuredWattsPerGPU.flatMap {
            figures(PowerSpec(kilowattsPerGPU: $0 / 1000, boundary: .gpuBoardMeasured, source: "measured during the run"))
        }
        var margin: Margin?
        if let selling {
            let revenue = (d.inputPerGPU * selling.usdPerMtokInput + d.outputPerGPU * selling.usdPerMtokOutput) * 3600 / 1e6
            var revenuePerMWYear: Double?
            var costPerMWYear: Double?
            if let spec = profile.power, spec.boundary == .provisionedAllIn {
                let gpusPerMW = (1000 / spec.kilowattsPerGPU).rounded(.down)
                revenuePerMWYear = revenue * 8760 * hour.utilisation * gpusPerMW
                costPerMWYear = hour.usdPerWallGPUHour * 8760 * gpusPerMW
            }
            margin = Margin(revenueUSDPerGPUHour: revenue, costUSDPerGPUHour: perHour,
                            grossMargin: revenue > 0 ? (revenue - perHour) / revenue : nil,
                            revenueUSDPerMWYear: revenuePerMWYear, costUSDPerMWYear: costPerMWYear)
        }
        let peak = profile.gpu?.peakTFLOPSDense[profile.precision]?.value
        return PointCost(
            profile: profile.name, gpuHour: hour, usdPerMtokTotal: total,
            usdPerMtokInput: usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: inputRate),
            usdPerMtokOutput: usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: outputRate),
            inputPerOutput: mix, usdPerMtokBlendedCard: nil, tokensPerDollar: total.map { 1e6 / $0 },
            usdPerMtokGoodOutput: d.goodOutputPerGPU.flatMap { usdPerMillionTokens(usdPerGPUHour: perHour, tokensPerSecondPerGPU: $0) },
            wastedOutputFraction: wasted, usdPerMtokTotalInterval: interval(d.totalSlicesPerGPU),
            usdPerMtokOutputInterval: interval(d.outputSlicesPerGPU), power: power, measuredPower: measuredPower,
            teraflopPerDollar: peak.map { $0 * 3600 / perHour }, margin: margin)
    }
}
