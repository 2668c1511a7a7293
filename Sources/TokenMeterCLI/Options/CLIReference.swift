import ArgumentParser
import Foundation
import TokenMeterCore

/// docs/cli.md's option tables, made from the commands' own declarations, so the document cannot drift from the parser.
enum CLIReference {
    /// Where the generated part of docs/cli.md starts and ends.
    static let begin = "<!-- BEGIN GENERATED: tokenmeter cli-reference (scripts/cli-docs) -->"
    static let end = "<!-- END GENERATED -->"

    /// Every visible command with its options, as Markdown between the markers.
    static func markdown() throws(ConfigError) -> String {
        let root = try Declarations.of(TokenMeterCommand.self)
        var out = [begin, ""]
        for command in root.subcommands ?? [] where command.shouldDisplay && command.commandName != "help" { out += section(command, path: "tokenmeter") }
        return (out + [end]).joined(separator: "\n") + "\n"
    }

    static func section(_ command: Declarations.Command, path: String) -> [String] {
        let name = "\(path) \(command.commandName)"
        var out = ["### `\(name)`", ""]
        if let abstract = command.abstract { out += [abstract, ""] }
        let arguments = (command.arguments ?? []).filter { $0.shouldDisplay && !($0.longNames.contains("help") || $0.longNames.contains("version")) }
        if !arguments.isEmpty {
            out += ["| option | default | what it does |", "|---|---|---|"]
            out += rows(arguments)
            out.append("")
        }
        for sub in command.subcommands ?? [] where sub.shouldDisplay { out += section(sub, path: name) }
        return out
    }

    /// One row per argument, a switch and its inversion (`--stream`, `--no-stream`) in one row as `--[no-]stream`.
    static func rows(_ arguments: [Declarations.Argument]) -> [String] {
        var out: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument.kind == "flag", index + 1 < arguments.count, let long = argument.longNames.first,
               arguments[index + 1].longNames == ["no-" + long] {
                let state = argument.defaultValue.map { $0 == "--" + long ? "on" : "off" }
                out.append(row(names: "`--[no-]\(long)`", defaultValue: state, abstract: argument.abstract))
                index += 2
                continue
            }
            out.append(row(names: names(argument), defaultValue: argument.defaultValue.map { "`\($0)`" }, abstract: argument.abstract))
            index += 1
        }
        return out
    }

    static func names(_ a: Declarations.Argument) -> String {
        if a.kind == "positional" { return "`<\(a.valueName ?? "value")>`" + (a.isRepeating ? " …" : "") }
        let names = (a.names ?? []).map { "`" + ($0.kind == "short" ? "-" : "--") + $0.name + "`" }.joined(separator: ", ")
        return names + (a.isRepeating ? " (repeatable)" : "")
    }

    static func row(names: String, defaultValue: String?, abstract: String?) -> String {
        let help = (abstract ?? "").replacingOccurrences(of: "|", with: "\\|")
        return "| \(names) | \(defaultValue ?? "") | \(help) |"
    }
}
