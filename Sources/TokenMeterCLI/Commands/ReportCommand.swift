import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterCost
import TokenMeterReport
import TokenMeterResults
import TokenMeterStore

/// `tokenmeter report`: one self-contained HTML file comparing stored runs.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report (SVG charts, no network) of one or more stored runs.",
        discussion: "Each run is priced on the GPU it recorded (bench --gpu) at --tier, or with --profile for all of them; a run that cannot be priced says why."
    )

    @OptionGroup var runs: RunIDsArgument
    @OptionGroup var file: OutputFileOption
    @OptionGroup var pricing: PricingOptions
    @OptionGroup var gpu: GPUOption
    @Option(help: "Title of the report.") var title: String = "tokenmeter report"

    func run() async throws {
        let ids = runs.ids
        guard !ids.isEmpty else { throw ConfigError(field: "ids", message: "name at least one run id (tokenmeter runs list shows them)") }
        let output = file.output ?? "tokenmeter-report.html"
        let pricer = try Pricer(try pricing.policy(fallbackGPU: gpu.gpu))
        let runs: [ReportRun] = try await RunsCommand.withStore { store in
            var out: [ReportRun] = []
            for id in ids { out.append(try await ReportRun.load(try await store.resolve(id), from: store, pricer: pricer)) }
            return out
        }
        let html = HTMLReport.render(runs, title: title, generatedAt: ISO8601DateFormatter().string(from: Date()))
        do { try html.write(toFile: output, atomically: true, encoding: .utf8) } catch {
            throw ConfigError(field: "output", message: "cannot write \(output): \(error.localizedDescription)")
        }
        print("wrote \(output) (\(runs.count) run\(runs.count == 1 ? "" : "s"), \(html.utf8.count / 1024) KB)")
    }
}
