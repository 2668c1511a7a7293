#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the system-wide monotonic clock, the single time base of every measurement.
public enum MonotonicClock {
    /// Nanoseconds on `CLOCK_MONOTONIC`; comparable across processes on one host.
    @inline(__always)
    public static func nowNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}

/// Reads the wall clock: only to agree on an instant with other machines (a scaled-out start), never to time anything.
public enum WallClock {
    /// Nanoseconds since 1970 on `CLOCK_REALTIME`.
    public static func nowNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
