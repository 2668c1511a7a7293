extension Double {
    /// The value rounded to `decimals` places, trailing zeros dropped.
    public func formatted(decimals: Int) -> String {
        var p = 1.0
        for _ in 0..<decimals { p *= 10 }
        let r = (self * p).rounded() / p
        if r.rounded() == r, abs(r) < 1e15 { return String(Int64(r)) }
        return String(r)
    }
}
