import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterDialects
import TokenMeterHTTP
import TokenMeterReport
import TokenMeterResults

/// `tokenmeter compare`: one workload against several targets, interleaved in rounds, ranked by what a delivered token costs.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run one workload against several targets (engines and API providers) in interleaved rounds and rank them by delivered cost.",
        discussion: """
            TARGETS is a YAML file: the shared bench settings (workload, sessions, osl, slo, ...), 'rounds' (default 2), and \
            'targets:', a list where each target has a 'name' and its own url, api, model, api-key-env or api-key-file, and a \
            cost source (gpu with tier or profile for a self-hosted engine, price-card for an API). In each round every target \
            runs once, in an order rotated round by round, so a noisy hour does not favour one. Writes each run's files, \
            compare.json and compare.html (the ranking by delivered $/Mtok beside the ranking by $/GPU-hour).
            """
    )

    @Argument(help: "The targets file (YAML).") var targets: String
    @Option(help: "Rounds (overrides the file's).") var rounds: Int?
    @OptionGroup var outputFolder: OutputFileOption
    @OptionGroup var output: OutputOptions
    @Flag(help: "No progress lines.") var quiet = false

    func run() async throws {
        let plan = try ComparePlan.load(path: targets, rounds: rounds, environment: ProcessInfo.processInfo.environment)
        let directory = URL(fileURLWithPath: outputFolder.output ?? BenchCommand.defaultOutputDirectory() + "-compare")
        var points: [String: [PointResult]] = [:]
        var results: [String: [String]] = [:]
        var failures: [String] = []
        for round in 0..<plan.rounds {
            for k in plan.targets.indices {
                let target = plan.targets[(k + round) % plan.targets.count]
                let folder = directory.appendingPathComponent(target.name).appendingPathComponent("round-\(round + 1)")
                if !quiet { Terminal.error("compare: round \(round + 1) of \(plan.rounds), \(target.name) → \(target.plan.endpoint.address)") }
                let session = BenchSession(plan: target.plan, settings: target.settings, targetKind: "external", outputDirectory: folder)
                do {
                    let result = try await session.run()
                    if let point = result.points.first { points[target.name, default: []].append(point) }
                    results[target.name, default: []].append(folder.path)
                } catch is CancellationError {
                    throw ExitCode(130)
                } catch {
                    failures.append("\(target.name), round \(round + 1): \(error)")
                }
            }
        }
        let compared = plan.targets.map { t in
            ComparedTarget(name: t.name, url: t.plan.endpoint.address.description, api: t.plan.endpoint.api.rawValue, model: t.plan.endpoint.model ?? "-",
                           points: points[t.name] ?? [], results: results[t.name] ?? [])
        }
        let comparison = ProviderComparison(rounds: plan.rounds, objective: plan.objective, targets: compared)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(comparison)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try json.write(to: directory.appendingPathComponent("compare.json"))
        try Data(CompareText.html(comparison).utf8).write(to: directory.appendingPathComponent("compare.html"))
        print(output.json ? String(decoding: json, as: UTF8.self) : CompareText.render(comparison))
        for failure in failures { Terminal.error("compare: \(failure)") }
        if !quiet { Terminal.error("compare: wrote \(directory.path)/compare.json and compare.html") }
        if !failures.isEmpty, points.isEmpty { throw ExitCode(1) }
    }
}
