import Foundation
import PropertyBased
import Testing
@testable import TokenMeterCLI
import TokenMeterCore
@testable import TokenMeterCost
import TokenMeterResults

/// Generated YAML for the loaders of what a user writes: a bench config and a cost profile only ever throw a ConfigError.
@Suite struct ConfigPropertyTests {
    @Test func configAndProfileLoadersOnlyEverThrowConfigErrors() async {
        let pieces = ["url: ", "concurrency: ", "[1, 2]", "kind: ", "owned", "rental", "usd_per_gpu_hour: ", "-1", "x", "\n", ":", "- ",
                      "{", "}", "'", "\"", "isl: ", "normal:1,2", "power: {kw_per_gpu: 1, boundary: wall}", "  ", "&a", "*a", "!!str"]
        let catalog = try! HardwareCatalog.load(environment: [:])
        await propertyCheck(count: 400, input: Gen.int(in: 0...(pieces.count - 1)).array(of: 0...14)) { indices in
            let text = indices.map { pieces[$0] }.joined()
            do { _ = try ConfigFile.arguments(yaml: text, source: "fuzz", command: BenchCommand.self) } catch {}  // typed throws: a ConfigError or nothing
            do { _ = try CostProfile.parse(yaml: text, catalog: catalog) } catch {}
        }
    }
}
