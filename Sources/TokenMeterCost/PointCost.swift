import TokenMeterCore

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

/// A 95% interval of a cost, mapped from the interval of the throughput it divides by (so it is not symmetric).
public struct CostInterval: Codable, Sendable, Equatable {
    /// Cost at the upper end of the throughput interval.
    public var low: Double
    /// Cost at the lower end of the throughput interval; nil when that end reaches zero (unbounded).
    public var high: Double?
    /// Samples (window slices or repeated runs) behind the interval.
    public var samples: Int
}

extension PointCost {
    /// The price bench recorded for a point from a provider's card, as a cost row (a card has no GPU-hour, power or interval).
    public init(recorded price: PointPrice, inputPerOutput: Double) {
        self.init(profile: price.source, gpuHour: nil, usdPerMtokTotal: price.usdPerMtokBlended, usdPerMtokInput: price.usdPerMtokInput,
                  usdPerMtokOutput: price.usdPerMtokOutput, inputPerOutput: inputPerOutput, usdPerMtokBlendedCard: nil,
                  tokensPerDollar: price.usdPerMtokBlended.map { 1e6 / $0 }, usdPerMtokGoodOutput: nil, wastedOutputFraction: 0,
                  usdPerMtokTotalInterval: nil, usdPerMtokOutputInterval: nil, power: nil, measuredPower: nil, teraflopPerDollar: nil, margin: nil)
    }
}
