import Foundation
import Testing
@testable import TokenMeterCLI

/// docs/cli.md's option tables are the commands' own declarations: a change to an option that is not written into the
/// document fails here, with the command that fixes it.
@Suite struct CLIReferenceTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/cli.md")

    @Test func docsCLIHoldsTheGeneratedTables() throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        let generated = try CLIReference.markdown()
        #expect(text.contains(generated), "docs/cli.md's option tables differ from the commands' declarations: run scripts/cli-docs")
    }

    @Test func everyVisibleOptionHasARowAndASwitchPairIsOneRow() throws {
        let generated = try CLIReference.markdown()
        for option in ["--url", "--concurrency", "--gpu`, `--hardware", "--kv-capacity-tokens", "--simulate", "--tier", "--blend"] {
            #expect(generated.contains("`\(option)`"), "no row for \(option)")
        }
        #expect(generated.contains("| `--[no-]stream` | on |"))
        #expect(generated.contains("| `--[no-]min-tokens` | off |"))
        #expect(!generated.contains("`--no-stream`"))
        #expect(!generated.contains("tokenmeter help"))
        #expect(!generated.contains("### `tokenmeter cli-reference`"), "the hidden generator command is not documented as a user command")
    }
}
