/// A small, fast, seedable generator (SplitMix64) so workloads and arrival times are reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in (0, 1).
    public mutating func unitOpen() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }

    /// A draw from the exponential distribution of mean 1.
    public mutating func exponential() -> Double { -Foundation_log(unitOpen()) }

    /// A standard normal draw (Box–Muller).
    public mutating func standardNormal() -> Double {
        let u1 = unitOpen()
        let u2 = unitOpen()
        return (-2 * Foundation_log(u1)).squareRoot() * Foundation_cos(2 * Double.pi * u2)
    }

    /// A gamma(shape, 1) draw (Marsaglia–Tsang; boosted for shape < 1).
    public mutating func gamma(shape: Double) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1) * Foundation_pow(unitOpen(), 1 / shape)
        }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = standardNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = unitOpen()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if Foundation_log(u) < 0.5 * x * x + d * (1 - v + Foundation_log(v)) { return d * v }
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func Foundation_log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func Foundation_cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func Foundation_pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
@inline(__always) func Foundation_exp(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Foundation
@inline(__always) func Foundation_log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func Foundation_cos(_ x: Double) -> Double { Foundation.cos(x) }
@inline(__always) func Foundation_pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
@inline(__always) func Foundation_exp(_ x: Double) -> Double { Foundation.exp(x) }
#endif
