import Foundation
import Synchronization

/// The machine's scheduling noise while a timing measurement runs, measured on the same cores at the same time: something
/// asks to wake every millisecond and records how late it woke. A timing test bounds its error by what the code claims
/// plus this noise, instead of a fixed margin guessed for the worst machine, or a retry: a hiccup that holds the measured
/// code back holds the probe back too, and shows in its figures.
///
/// Two places to wake: a thread of its own (`.thread`: the operating system's scheduling, what the event loops see) or a
/// task on Swift's cooperative pool (`.cooperativePool`: what timers and continuations see; in the full suite CPU-bound
/// tests hold the pool's threads for seconds, which no thread probe notices).
///
/// The figures are time-weighted: an event arriving at a random moment inside a late wake-up of length L waits the rest
/// of L, so the share of time in which an arrival would wait more than x is Σ max(0, L − x) / duration. `delayMs(quantile:)`
/// solves that for x. A 30 ms stall is one late sample, but it counts for 30 ms of the run.
public final class NoiseProbe: Sendable {
    /// Where the probe wakes.
    public enum Place: Sendable { case thread, cooperativePool }

    private let stopFlag = Atomic<Bool>(false)
    private let lateness = Mutex<[Double]>([])
    private let finished = DispatchSemaphore(value: 0)
    private let started = DispatchTime.now().uptimeNanoseconds
    private let stoppedAt = Mutex<UInt64>(0)

    /// Starts sampling.
    public init(_ place: Place = .thread) {
        switch place {
        case .thread:
            Thread { [self] in
                var samples: [Double] = []
                while !stopFlag.load(ordering: .relaxed) {
                    let before = DispatchTime.now().uptimeNanoseconds
                    var request = timespec(tv_sec: 0, tv_nsec: 1_000_000)
                    var remaining = timespec()
                    nanosleep(&request, &remaining)
                    samples.append(Self.lateness(since: before))
                }
                finish(samples)
            }.start()
        case .cooperativePool:
            Task { [self] in
                var samples: [Double] = []
                while !stopFlag.load(ordering: .relaxed) {
                    let before = DispatchTime.now().uptimeNanoseconds
                    try? await Task.sleep(nanoseconds: 1_000_000)
                    samples.append(Self.lateness(since: before))
                }
                finish(samples)
            }
        }
    }

    private static func lateness(since before: UInt64) -> Double {
        max(0, Double(DispatchTime.now().uptimeNanoseconds - before) / 1e6 - 1)
    }

    private func finish(_ samples: [Double]) {
        lateness.withLock { $0 = samples }
        finished.signal()
    }

    /// Stops sampling and waits for the probe's last wake-up.
    public func stop() async {
        stoppedAt.withLock { $0 = DispatchTime.now().uptimeNanoseconds }
        stopFlag.store(true, ordering: .relaxed)
        // Waited for off the cooperative pool: the pool probe needs a pool thread to finish.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.finished.wait()
                done.resume()
            }
        }
    }

    /// The longest any wake-up was late, ms: the most one event at a random moment could have been held back.
    public var maxDelayMs: Double { lateness.withLock { $0.max() } ?? 0 }

    /// Wake-ups recorded.
    public var samples: Int { lateness.withLock { $0.count } }

    /// The wait an arrival at a random moment would have seen at this quantile (0.5, 0.99), ms.
    public func delayMs(quantile q: Double) -> Double {
        let late = lateness.withLock { $0 }.sorted(by: >)
        let duration = Double(stoppedAt.withLock { $0 } - started) / 1e6
        guard duration > 0, !late.isEmpty else { return 0 }
        // Share of time waiting more than x is decreasing in x; find the x where it falls to 1 − q.
        let budget = (1 - q) * duration
        var low = 0.0
        var high = late[0]
        for _ in 0..<40 {
            let x = (low + high) / 2
            var share = 0.0
            for l in late {
                guard l > x else { break }
                share += l - x
            }
            if share > budget { low = x } else { high = x }
        }
        return high
    }

    /// Runs `body` with a probe beside it; returns its value and the probe, stopped.
    public static func during<T>(_ place: Place = .thread, _ body: () async throws -> T) async rethrows -> (T, NoiseProbe) {
        let probe = NoiseProbe(place)
        do {
            let value = try await body()
            await probe.stop()
            return (value, probe)
        } catch {
            await probe.stop()
            throw error
        }
    }

    /// "noise p50 0.010 / p99 0.800 / max 3.100 ms over 2400 wake-ups".
    public var summary: String {
        String(format: "noise p50 %.3f / p99 %.3f / max %.3f ms over %d wake-ups", delayMs(quantile: 0.5), delayMs(quantile: 0.99), maxDelayMs,
               samples)
    }
}
