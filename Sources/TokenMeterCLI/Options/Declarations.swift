import ArgumentParser
import Foundation
import TokenMeterCore

/// A command's declared arguments as ArgumentParser describes them (its `--experimental-dump-help` document): what a
/// config file is read through, and what docs/cli.md's tables are made of.
struct Declarations: Decodable {
    /// One command.
    struct Command: Decodable {
        var commandName: String
        var abstract: String?
        var discussion: String?
        var shouldDisplay: Bool
        var subcommands: [Command]?
        var arguments: [Argument]?
    }

    /// One option, flag or positional argument.
    struct Argument: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }

        var kind: String
        var names: [Name]?
        var preferredName: Name?
        var valueName: String?
        var isOptional: Bool
        var isRepeating: Bool
        var defaultValue: String?
        var abstract: String?
        var shouldDisplay: Bool

        /// The long names (`stream`, `no-stream`).
        var longNames: [String] { (names ?? []).filter { $0.kind == "long" }.map(\.name) }
    }

    var command: Command

    /// The declarations of a command.
    static func of(_ command: any ParsableArguments.Type) throws(ConfigError) -> Command {
        do {
            return try JSONDecoder().decode(Declarations.self, from: Data(command._dumpHelp().utf8)).command
        } catch {
            throw ConfigError(field: "config", message: "cannot read the declarations of the command's options (\(error)); this is a bug")
        }
    }
}
