import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore

/// The `tokenmeter` command and its exit-code policy.
@main
struct TokenMeterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenmeter",
        abstract: "Measure, price and predict what a delivered LLM token costs.",
        version: ToolInfo.version,
        subcommands: [BenchCommand.self, CostCommand.self, PredictCommand.self, CalibrateCommand.self, ValidateCommand.self, RunsCommand.self, ReportCommand.self, ServeCommand.self, TargetCommand.self, MetricsCommand.self, TokenizeCommand.self]
    )

    /// Exit codes: 0 done, 1 the run failed, 2 bad flags or configuration, 130 interrupted.
    static func main() async {
        // A parent may have started us with SIGINT/SIGTERM blocked (the mask is inherited across exec); Ctrl-C and
        // termination must always reach the run, so unblock them before any thread exists to inherit the mask.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ConfigError {
            Terminal.error("error: \(error.field): \(error.message)")
            Foundation.exit(2)
        } catch let error as BenchError {
            Terminal.error("error: \(error.message)")
            Foundation.exit(1)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let exitCode = exitCode(for: error)
            if exitCode == .validationFailure {
                Terminal.error("error: \(message(for: error)) (see tokenmeter help)")
                Foundation.exit(2)
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
