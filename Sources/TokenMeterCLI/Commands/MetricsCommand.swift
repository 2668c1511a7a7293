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
        abstract: "Recompute every metric from a saved per-request timeline (timeline.jsonl).",
        discussion: "--slo applies a different objective and --gpus divides throughput by a different GPU count."
    )

    @Argument(help: "A timeline.jsonl written by tokenmeter bench.") var timeline: String
    @OptionGroup var slo: SLOOption
    @OptionGroup var gpus: GPUCountOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var points = try TimelineReader.read(path: timeline)
        if let objective = try slo.objective() {
            for i in points.indices { points[i].header.slo = objective }
        }
        if gpus.gpus != nil {
            let count = try gpus.count()
            for i in points.indices { points[i].header.gpus = count }
        }
        guard !points.isEmpty else { throw ConfigError(field: "timeline", message: "'\(timeline)' holds no points") }
        let metrics = TimelineReader.recompute(points)
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(metrics), as: UTF8.self))
        } else {
            print(TerminalTable.render(points: zip(points, metrics).map { ($0.header.label, $1) }))
            for point in points {
                guard let summary = ConversationSummary.compute(conversations: point.conversations, records: point.records,
                                                                window: point.header.window, gpus: point.header.gpus) else { continue }
                print(ConversationText.conversation(point.header.label, summary).joined(separator: "\n"))
            }
        }
    }
}
