import ArgumentParser

/// `tokenmeter cli-reference` (hidden): the option tables of docs/cli.md, made from the commands' own declarations.
struct CLIReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cli-reference",
        abstract: "Print the option tables of docs/cli.md, made from every command's declarations (scripts/cli-docs writes them in).",
        shouldDisplay: false
    )

    func run() throws {
        print(try CLIReference.markdown(), terminator: "")
    }
}
