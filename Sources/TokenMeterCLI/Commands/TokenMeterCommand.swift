import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore

/// The `tokenmeter` command and its exit-code policy.
public struct TokenMeterCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tokenmeter",
        abstract: "Measure, price and predict what a delivered LLM token costs.",
        version: ToolInfo.version,
        subcommands: [BenchCommand.self, CostCommand.self, PredictCommand.self, CalibrateCommand.self, ValidateCommand.self, RunsCommand.self,
                      ReportCommand.self, ServeCommand.self, TargetCommand.self, MetricsCommand.self, TokenizeCommand.self, PricesCommand.self, CompareCommand.self, MergeCommand.self, DeployCommand.self,
                      CLIReferenceCommand.self]
    )

    public init() {}

    /// The command a command line names, with a `bench --config FILE` read into its arguments.
    public static func command(_ arguments: [String]) throws -> any ParsableCommand {
        var arguments = arguments
        if arguments.first == BenchCommand.configuration.commandName {
            arguments = [arguments[0]] + (try ConfigFile.expand(Array(arguments.dropFirst()), command: BenchCommand.self))
        }
        return try parseAsRoot(arguments)
    }

    /// Runs the command line. Exit codes: 0 done, 1 the run failed, 2 bad flags or configuration, 130 interrupted.
    public static func main() async {
        // A parent may have started us with SIGINT/SIGTERM blocked (the mask is inherited across exec); Ctrl-C and
        // termination must always reach the run, so unblock them before any thread exists to inherit the mask.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        do {
            var command = try command(Array(CommandLine.arguments.dropFirst()))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            Foundation.exit(code(for: error))
        }
    }

    /// Says what went wrong and returns the exit code for it.
    static func code(for error: any Error) -> Int32 {
        switch error {
        case let error as ConfigError:
            Terminal.error("error: \(error.field): \(error.message)")
            return 2
        case let error as BenchError:
            Terminal.error("error: \(error.message)")
            return 1
        case let code as ExitCode:
            return code.rawValue
        default:
            let code = exitCode(for: error)
            if code == .validationFailure {
                Terminal.error("error: \(message(for: error)) (see tokenmeter help)")
                return 2
            }
            exit(withError: error)
        }
    }
}

/// Writes to the terminal's standard error.
enum Terminal {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }
}
