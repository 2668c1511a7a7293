import ArgumentParser
import TokenMeterCore
import TokenMeterCost
import TokenMeterReport

extension RunsCommand {
    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compare",
            abstract: "Compare runs and predictions side by side: fronts, cost at an interactivity, the three-metric table, deltas.")
        @OptionGroup var runs: RunIDsArgument
        @OptionGroup var pricing: PricingOptions
        @OptionGroup var gpu: GPUOption
        @OptionGroup var interactivity: InteractivityOption
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let ids = runs.ids
            guard ids.count >= 2 else { throw ConfigError(field: "ids", message: "compare needs at least two run or prediction ids") }
            let entries = try await RunsCommand.withStore { store in try await RunComparison.load(ids, store: store) }
            let pricer = try Pricer(try pricing.policy(fallbackGPU: gpu.gpu))
            let comparison = RunComparison(entries: entries, pricer: pricer, interactivity: try interactivity.value())
            print(output.json ? comparison.json.serialized : comparison.text)
        }
    }
}
