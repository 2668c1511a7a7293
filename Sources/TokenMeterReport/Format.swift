/// The one number formatter of every table and page: fixed decimals, thousands separators, "-" for an unknown value.
public enum Format {
    /// A number with fixed decimals and thousands separators; "-" when it is not finite.
    public static func number(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (abs(v) * scale).rounded()
        let whole = Int64(rounded / scale)
        var fraction = ""
        if decimals > 0 {
            let f = Int64(rounded) - whole * Int64(scale)
            let digits = String(f)
            fraction = "." + String(repeating: "0", count: max(0, decimals - digits.count)) + digits
        }
        var grouped = ""
        for (i, ch) in String(whole).reversed().enumerated() {
            if i > 0, i % 3 == 0 { grouped.append(",") }
            grouped.append(ch)
        }
        return (v < 0 && rounded > 0 ? "-" : "") + String(grouped.reversed()) + fraction
    }

    /// A number, or "-" when there is none.
    public static func number(_ v: Double?, _ decimals: Int) -> String { v.map { number($0, decimals) } ?? "-" }

    /// A count in plain digits (no separators, so that tools can read it back), or "-".
    public static func count(_ v: Double?) -> String { v.map { $0.isFinite ? String(Int64($0.rounded())) : "-" } ?? "-" }

    /// Dollars: cents above a dollar, three significant digits below (`$0.000412`), or "-".
    public static func usd(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        if abs(v) >= 1 || v == 0 { return "$" + number(v, 2) }
        var decimals = 2
        var scaled = abs(v) * 100
        while scaled < 100, decimals < 12 {
            scaled *= 10
            decimals += 1
        }
        return "$" + number(v, decimals)
    }

    /// A fraction as a percentage (`0.25` → `25%`), or "-".
    public static func percent(_ fraction: Double?, _ decimals: Int = 0) -> String { fraction.map { number($0 * 100, decimals) + "%" } ?? "-" }

    /// A 95% cost interval, `low–high` (`∞` for an unbounded high end), or "-".
    public static func interval(low: Double?, high: Double?, _ decimals: Int = 3) -> String {
        guard let low else { return "-" }
        return "\(number(low, decimals))–\(high.map { number($0, decimals) } ?? "∞")"
    }
}
