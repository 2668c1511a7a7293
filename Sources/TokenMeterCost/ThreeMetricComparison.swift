import TokenMeterCore

/// One option in the input-versus-output comparison: cost per hour, FLOPS per dollar, cost per token, and their ranks.
public struct ThreeMetricRow: Codable, Sendable, Equatable {
    /// Option name.
    public var name: String
    /// $ per used GPU-hour (nil for an API card).
    public var usdPerGPUHour: Double?
    /// Peak TFLOP per dollar (nil without a catalog GPU).
    public var teraflopPerDollar: Double?
    /// $/Mtok, all tokens.
    public var usdPerMtok: Double?
    /// Rank by $/hour, 1 = cheapest.
    public var rankByHour: Int?
    /// Rank by FLOPS per dollar, 1 = most.
    public var rankByFLOPS: Int?
    /// Rank by $/Mtok, 1 = cheapest.
    public var rankByToken: Int?

    enum CodingKeys: String, CodingKey {
        case name, usdPerGPUHour = "usd_per_gpu_hour", teraflopPerDollar = "tflop_per_usd", usdPerMtok = "usd_per_mtok"
        case rankByHour = "rank_by_hour", rankByFLOPS = "rank_by_flops", rankByToken = "rank_by_token"
    }
}

/// The three metrics side by side, ranked each way, with the rank inversions said in words.
public struct ThreeMetricComparison: Codable, Sendable, Equatable {
    /// Rows in the order given.
    public var rows: [ThreeMetricRow]
    /// Sentences such as "B is cheaper per hour but 2.3× dearer per token".
    public var inversions: [String]

    /// Builds the comparison from priced options.
    public init(_ options: [PointCost]) {
        var rows = options.map {
            ThreeMetricRow(name: $0.profile, usdPerGPUHour: $0.gpuHour?.usdPerUsedGPUHour, teraflopPerDollar: $0.teraflopPerDollar,
                           usdPerMtok: $0.usdPerMtokTotal)
        }
        func ranks(_ values: [Double?], ascending: Bool) -> [Int?] {
            let order = values.enumerated().compactMap { i, v in v.map { (i, $0) } }.sorted { ascending ? $0.1 < $1.1 : $0.1 > $1.1 }
            var out = [Int?](repeating: nil, count: values.count)
            for (rank, (i, _)) in order.enumerated() { out[i] = rank + 1 }
            return out
        }
        let byHour = ranks(rows.map(\.usdPerGPUHour), ascending: true)
        let byFLOPS = ranks(rows.map(\.teraflopPerDollar), ascending: false)
        let byToken = ranks(rows.map(\.usdPerMtok), ascending: true)
        for i in rows.indices {
            rows[i].rankByHour = byHour[i]
            rows[i].rankByFLOPS = byFLOPS[i]
            rows[i].rankByToken = byToken[i]
        }
        var sentences: [String] = []
        for a in rows {
            for b in rows where a.name != b.name {
                guard let aToken = a.usdPerMtok, let bToken = b.usdPerMtok, aToken > bToken else { continue }
                let dearer = Self.ratio(aToken / bToken)
                if let aHour = a.usdPerGPUHour, let bHour = b.usdPerGPUHour, aHour < bHour {
                    sentences.append("\(a.name) is cheaper per hour ($\(Self.money(aHour)) vs $\(Self.money(bHour))) but \(dearer)× dearer per token than \(b.name) ($\(Self.money(aToken)) vs $\(Self.money(bToken)) per Mtok)")
                }
                if let aFLOPS = a.teraflopPerDollar, let bFLOPS = b.teraflopPerDollar, aFLOPS > bFLOPS {
                    sentences.append("\(a.name) buys \(Self.ratio(aFLOPS / bFLOPS))× more peak FLOPS per dollar but is \(dearer)× dearer per token than \(b.name)")
                }
            }
        }
        self.rows = rows
        inversions = sentences
    }

    static func ratio(_ v: Double) -> String { String((v * 10).rounded() / 10) }
    static func money(_ v: Double) -> String {
        let cents = (v * 100).rounded() / 100
        return cents >= 0.01 ? String(format2(cents)) : String((v * 10000).rounded() / 10000)
    }
    static func format2(_ v: Double) -> String {
        let whole = Int(v)
        let frac = Int(((v - Double(whole)) * 100).rounded())
        return frac >= 100 ? "\(whole + 1).00" : "\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }
}
