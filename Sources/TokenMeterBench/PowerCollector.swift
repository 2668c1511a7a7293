import Foundation
import Synchronization
import TokenMeterCore

/// Where GPU power readings come from during a run.
public enum PowerSource: Sendable, Equatable {
    /// A DCGM exporter's Prometheus endpoint (`DCGM_FI_DEV_POWER_USAGE`, W per GPU).
    case dcgm(url: String)
    /// A sidecar command printing `timestamp, index, watts` CSV lines (`nvidia-smi --query-gpu=... -lms N`, or an
    /// equivalent wrapper around `amd-smi`); each line is stamped with the monotonic clock when it arrives.
    case command([String])

    /// The default `nvidia-smi` sidecar at an interval.
    public static func nvidiaSMI(intervalMilliseconds: Int) -> PowerSource {
        .command(["nvidia-smi", "--query-gpu=timestamp,index,power.draw", "--format=csv,noheader,nounits", "-lms", String(intervalMilliseconds)])
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
    private let problems = Mutex<[String]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let process = Mutex<Process?>(nil)
    /// Where the samples come from.
    public let source: PowerSource

    /// Creates a collector; nothing runs until `start`.
    public init(source: PowerSource) { self.source = source }

    /// Parses one CSV line `timestamp, index, watts` into a sample stamped `now`; nil for lines that are not readings.
    public static func parseCSVLine(_ line: String, now: UInt64) -> PowerSample? {
        let fields = line.split(separator: ",").map { $0.trimmingWhitespace }
        guard fields.count >= 3, let watts = Double(fields[2].replacingOccurrences(of: " W", with: "")) else { return nil }
        return PowerSample(timeNanoseconds: now, gpu: fields[1], watts: watts)
    }

    /// Samples of a DCGM exporter scrape, one per GPU.
    public static func dcgmSamples(_ scrape: MetricsScrape) -> [PowerSample] {
        scrape.exposition.samples.filter { $0.name == "DCGM_FI_DEV_POWER_USAGE" && $0.value.isFinite }.map {
            PowerSample(timeNanoseconds: scrape.timeNanoseconds, gpu: $0.labels["gpu"] ?? $0.labels["UUID"] ?? "0", watts: $0.value)
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
                    case let .success(scrape): samples.withLock { $0 += PowerCollector.dcgmSamples(scrape) }
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
                var pending = ""
                while true {
                    let data = output.availableData
                    if data.isEmpty { break }
                    let now = MonotonicClock.nowNanoseconds()
                    pending += String(decoding: data, as: UTF8.self)
                    while let newline = pending.firstIndex(of: "\n") {
                        let line = String(pending[..<newline])
                        pending.removeSubrange(...newline)
                        if let sample = PowerCollector.parseCSVLine(line, now: now) { samples.withLock { $0.append(sample) } }
                    }
                }
            }
        }
    }

    /// Stops collecting (the sidecar is terminated).
    public func stop() {
        task.withLock { $0?.cancel() }
        process.withLock { p in
            if let p, p.isRunning { p.terminate() }
        }
    }

    /// Everything collected so far, and what went wrong.
    public var collected: (samples: [PowerSample], problems: [String]) {
        (samples.withLock { $0 }, problems.withLock { $0 })
    }
}
