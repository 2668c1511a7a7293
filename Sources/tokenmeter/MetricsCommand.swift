import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterReport
import TokenMeterResults

/// `tokenmeter metrics`: recompute every metric from a saved timeline.
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Recompute every metric from a saved per-request timeline (timeline.jsonl)."
    )

    @Argument(help: "A timeline.jsonl written by tokenmeter bench.") var timeline: String
    @Option(help: "Apply a different service-level objective, e.g. ttft_p99=1s,tpot_p99=50ms.") var slo: String?
    @Option(help: "Divide throughput by a different GPU count.") var gpus: Int?
    @Flag(help: "Print the metrics as JSON.") var json = false

    func run() async throws {
        var points = try TimelineReader.read(path: timeline)
        if let slo {
            let objective = try ServiceLevelObjective(presetOrSpec: slo)
            for i in points.indices { points[i].header.slo = objective }
        }
        if let gpus {
            guard gpus >= 1 else { throw ConfigError(field: "gpus", message: "must be at least 1") }
            for i in points.indices { points[i].header.gpus = gpus }
        }
        guard !points.isEmpty else { throw ConfigError(field: "timeline", message: "'\(timeline)' holds no points") }
        let metrics = TimelineReader.recompute(points)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(metrics), as: UTF8.self))
        } else {
            print(TerminalTable.render(points: zip(points, metrics).map { ($0.header.label, $1) }))
        }
    }
}
