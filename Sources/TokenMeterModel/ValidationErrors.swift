import Foundation
import TokenMeterCore
import TokenMeterCost

/// A row the model predicted, with both predictions.
public struct RowPrediction: Sendable {
    /// The measurement.
    public var row: MeasuredRow
    /// Predicted TTFT, ms.
    public var ttftMilliseconds: Double
    /// Predicted TPOT, ms.
    public var tpotMilliseconds: Double
}

/// Mean absolute percentage errors of a set of predictions.
public struct ErrorSummary: Sendable, Equatable, Codable {
    /// Rows.
    public var rows: Int
    /// MAPE of TTFT, %.
    public var ttftMAPE: Double
    /// MAPE of TPOT, %.
    public var tpotMAPE: Double

    /// Summarises predictions.
    public init(_ predictions: [RowPrediction]) {
        rows = predictions.count
        func mape(_ f: (RowPrediction) -> (Double, Double)) -> Double {
            guard !predictions.isEmpty else { return 0 }
            return predictions.reduce(0) { s, p in let (pred, meas) = f(p); return s + abs(pred - meas) / meas } / Double(predictions.count) * 100
        }
        ttftMAPE = mape { ($0.ttftMilliseconds, $0.row.ttftMilliseconds) }
        tpotMAPE = mape { ($0.tpotMilliseconds, $0.row.tpotMilliseconds) }
    }

    enum CodingKeys: String, CodingKey { case rows, ttftMAPE = "ttft_mape_pct", tpotMAPE = "tpot_mape_pct" }
}

/// How far calibrated predictions stray from the rows they were fitted on: a band to show beside estimates.
public struct ErrorBand: Sendable, Equatable, Codable {
    /// Median absolute relative error of TTFT, %.
    public var ttftMedianPercent: Double
    /// 90th-percentile absolute relative error of TTFT, %.
    public var ttftP90Percent: Double
    /// Median absolute relative error of TPOT, %.
    public var tpotMedianPercent: Double
    /// 90th-percentile absolute relative error of TPOT, %.
    public var tpotP90Percent: Double
    /// Rows behind the band.
    public var rows: Int

    /// The band of a set of predictions; nil without any.
    public init?(_ predictions: [RowPrediction]) {
        guard !predictions.isEmpty else { return nil }
        let ttft = Distribution(predictions.map { abs($0.ttftMilliseconds / $0.row.ttftMilliseconds - 1) * 100 })!
        let tpot = Distribution(predictions.map { abs($0.tpotMilliseconds / $0.row.tpotMilliseconds - 1) * 100 })!
        ttftMedianPercent = ttft.p50
        ttftP90Percent = ttft.p90
        tpotMedianPercent = tpot.p50
        tpotP90Percent = tpot.p90
        rows = predictions.count
    }

    enum CodingKeys: String, CodingKey {
        case ttftMedianPercent = "ttft_median_pct", ttftP90Percent = "ttft_p90_pct", tpotMedianPercent = "tpot_median_pct"
        case tpotP90Percent = "tpot_p90_pct", rows
    }
}
