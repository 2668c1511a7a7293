import Foundation
import Synchronization
import TokenMeterCore
import TokenMeterHTTP

/// Where GPU power readings come from during a run.
public enum PowerSource: Sendable, Equatable {
    /// A DCGM exporter's Prometheus endpoint (`DCGM_FI_DEV_POWER_USAGE`, W per GPU).
    case dcgm(url: String)
    /// A sidecar command printing CSV readings: `nvidia-smi --query-gpu=timestamp,index,power.draw --format=csv -lms N`, or
    /// `amd-smi metric --power --csv` in a loop (see `PowerCSVReader`); each reading is placed on the monotonic clock by its
    /// own timestamp where it has one (a piped sidecar's output arrives in bursts), else by when its line arrived.
    case command([String])

    /// The default `nvidia-smi` sidecar at an interval.
    public static func nvidiaSMI(intervalMilliseconds: Int) -> PowerSource {
        .command(["nvidia-smi", "--query-gpu=timestamp,index,power.draw", "--format=csv,noheader,nounits", "-lms", String(intervalMilliseconds)])
    }

    /// The `amd-smi` sidecar (ROCm): its power metrics as CSV, repeated every interval (whole seconds, at least one).
    public static func amdSMI(intervalMilliseconds: Int) -> PowerSource {
        .command(["amd-smi", "metric", "--power", "--csv", "--watch", String(max(1, (intervalMilliseconds + 500) / 1000))])
    }

    /// Short name for results.
    public var label: String {
        switch self {
        case .dcgm: "dcgm"
        case let .command(c): c.first.map { ($0 as NSString).lastPathComponent } ?? "command"
        }
    }
}

/// Collects GPU power samples in the background for the length of a run.
public final class PowerCollector: Sendable {
    private let samples = Mutex<[PowerSample]>([])
    private let counters = Mutex<[EnergyCounterSample]>([])
    private let problems = Mutex<[String]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let process = Mutex<Process?>(nil)
    /// Where the samples come from.
    public let source: PowerSource

    /// Creates a collector; nothing runs until `start`.
    public init(source: PowerSource) { self.source = source }

    /// Samples of a DCGM exporter scrape, one per GPU.
    public static func dcgmSamples(_ scrape: MetricsScrape) -> [PowerSample] {
        scrape.exposition.samples.filter { $0.name == "DCGM_FI_DEV_POWER_USAGE" && $0.value.isFinite }.map {
            PowerSample(timeNanoseconds: scrape.timeNanoseconds, gpu: $0.labels["gpu"] ?? $0.labels["UUID"] ?? "0", watts: $0.value)
        }
    }

    /// Energy counter readings of a DCGM exporter scrape (`DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION`, mJ), one per GPU, in J.
    public static func dcgmCounters(_ scrape: MetricsScrape) -> [EnergyCounterSample] {
        scrape.exposition.samples.filter { $0.name == "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" && $0.value.isFinite }.map {
            EnergyCounterSample(timeNanoseconds: scrape.timeNanoseconds, gpu: $0.labels["gpu"] ?? $0.labels["UUID"] ?? "0", joules: $0.value / 1000)
        }
    }

    /// Starts collecting; a source that cannot start is reported by `stop()`, never thrown, so a run still measures.
    public func start(intervalSeconds: Double) {
        switch source {
        case let .dcgm(url):
            let address: EndpointAddress
            do { address = try EndpointAddress(parsing: url) } catch {
                problems.withLock { $0.append("power: \(error.message)") }
                return
            }
            let client = StreamingHTTPClient(host: address.host, port: address.port, threads: 1)
            let scraper = MetricsScraper(client: client, address: address, path: address.basePath.isEmpty ? "/metrics" : address.basePath)
            let poller = Task { [self] in
                while !Task.isCancelled {
                    switch await scraper.scrape() {
                    case let .success(scrape):
                        samples.withLock { $0 += PowerCollector.dcgmSamples(scrape) }
                        counters.withLock { $0 += PowerCollector.dcgmCounters(scrape) }
                    case let .failure(failure): problems.withLock { if $0.count < 5 { $0.append("power: \(url): \(failure.message)") } }
                    }
                    try? await Task.sleep(nanoseconds: UInt64(intervalSeconds * 1e9))
                }
                await client.shutdown()
            }
            task.withLock { $0 = poller }
        case let .command(arguments):
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch {
                problems.withLock { $0.append("power: cannot run \(arguments.joined(separator: " ")): \(error.localizedDescription)") }
                return
            }
            self.process.withLock { $0 = process }
            let output = pipe.fileHandleForReading
            // A blocking line reader on a Dispatch thread, never on the cooperative pool.
            DispatchQueue.global().async { [self] in
                var pending: [UInt8] = []
                var reader = PowerCSVReader()
                while true {
                    let data = output.availableData
                    if data.isEmpty { break }
                    let now = MonotonicClock.nowNanoseconds()
                    let wall = Date()
                    pending += data
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let line = String(decoding: pending[..<newline], as: UTF8.self)
                        pending.removeSubrange(...newline)
                        let read = reader.read(line, arrivalNanoseconds: now, arrivalDate: wall)
                        if !read.isEmpty { samples.withLock { $0 += read } }
                    }
                }
            }
        }
    }

    /// True when readings exist and every GPU among them has one at or after `time`.
    static func everyGPU(in readings: [(gpu: String, time: UInt64)], reached time: UInt64) -> Bool {
        var latest: [String: UInt64] = [:]
        for reading in readings { latest[reading.gpu] = max(latest[reading.gpu] ?? 0, reading.time) }
        return !latest.isEmpty && latest.values.allSatisfy { $0 >= time }
    }

    /// Stops collecting (the sidecar is terminated).
    public func stop() {
        task.withLock { $0?.cancel() }
        process.withLock { p in
            if let p, p.isRunning { p.terminate() }
        }
    }

    /// Waits (up to `timeout` seconds) until every GPU has a reading taken at or after `time` (monotonic ns); false when one
    /// did not. A point's energy needs readings on both sides of its window, and a loaded host may deliver them late: a
    /// sidecar's lines for one instant can arrive in two reads, so the newest reading of one GPU says nothing of the others.
    public func waitForReading(atOrAfter time: UInt64, timeout: Double) async -> Bool {
        let deadline = MonotonicClock.nowNanoseconds() + UInt64(max(0, timeout) * 1e9)
        while true {
            let seen = samples.withLock { Self.everyGPU(in: $0.map { ($0.gpu, $0.timeNanoseconds) }, reached: time) }
                || counters.withLock { Self.everyGPU(in: $0.map { ($0.gpu, $0.timeNanoseconds) }, reached: time) }
            if seen { return true }
            // A source that failed (no exporter, no sidecar) will not deliver: the measurement says so later.
            let failing = !problems.withLock(\.isEmpty) && samples.withLock(\.isEmpty) && counters.withLock(\.isEmpty)
            if failing || MonotonicClock.nowNanoseconds() >= deadline || Task.isCancelled { return false }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    /// Everything collected so far, and what went wrong.
    public var collected: (samples: [PowerSample], counters: [EnergyCounterSample], problems: [String]) {
        (samples.withLock { $0 }, counters.withLock { $0 }, problems.withLock { $0 })
    }
}
