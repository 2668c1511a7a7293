import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterResults

/// `bench`'s options as a library: the plan and the recorded settings that a command line, or a config file's YAML,
/// stands for — for whatever runs a session without the command around it.
public enum BenchArguments {
    /// The plan and settings of `bench` arguments; `url` stands in for a missing `--url`.
    public static func plan(_ arguments: [String], url: String? = nil, environment: [String: String] = [:]) throws -> (plan: BenchPlan, settings: RunSettings) {
        let expanded = try ConfigFile.expand(arguments, command: BenchCommand.self)
        let command: BenchCommand
        do { command = try BenchCommand.parse(expanded) } catch {
            throw ConfigError(field: "arguments", message: BenchCommand.message(for: error))
        }
        var plan = try command.plan(environment: environment)
        var settings = command.settings
        if command.endpoint.effectiveURL == nil, let url {
            plan.endpoint.address = try EndpointAddress(parsing: url)
            settings["url"] = .string(url)
        }
        return (plan, settings)
    }

    /// The plan and settings of a config file's YAML text.
    public static func plan(yaml: String, url: String? = nil, environment: [String: String] = [:]) throws -> (plan: BenchPlan, settings: RunSettings) {
        try plan(try ConfigFile.arguments(yaml: yaml, source: "config", command: BenchCommand.self), url: url, environment: environment)
    }
}
