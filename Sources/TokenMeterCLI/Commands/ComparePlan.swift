import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterResults

/// A `tokenmeter compare` file: the workload every target runs (any `bench` setting, by its YAML name), the rounds, and the
/// targets, each with its own endpoint, dialect, model, key source and cost source (a GPU profile or a price card). Every
/// target's settings are checked, and its plan made, before any request is sent.
struct ComparePlan {
    struct Target {
        var name: String
        var plan: BenchPlan
        var settings: RunSettings
    }

    var targets: [Target]
    var rounds: Int
    var objective: String?

    /// Reads and checks a compare file.
    static func load(path: String, rounds override: Int?, environment: [String: String]) throws(ConfigError) -> ComparePlan {
        let text = String(decoding: try readable(path, field: "targets"), as: UTF8.self)
        guard let map = try YAMLDocument.load(text, source: path, typed: false) as? [String: Any] else {
            throw ConfigError(field: "targets", message: "\(path) must be a mapping with 'targets:' (a list) and the shared bench settings")
        }
        guard let list = map["targets"] as? [Any], list.count >= 2 else {
            throw ConfigError(field: "targets", message: "\(path) needs 'targets:' with at least two targets to compare")
        }
        var rounds = override ?? 2
        if override == nil, let r = map["rounds"] {
            guard let n = Int("\(r)"), (1...20).contains(n) else { throw ConfigError(field: "rounds", message: "must be 1 to 20 in \(path)") }
            rounds = n
        }
        guard (1...20).contains(rounds) else { throw ConfigError(field: "rounds", message: "must be 1 to 20") }
        var shared = map
        shared["targets"] = nil
        shared["rounds"] = nil
        var targets: [Target] = []
        for (i, entry) in list.enumerated() {
            guard let own = entry as? [String: Any] else { throw ConfigError(field: "targets", message: "target \(i + 1) of \(path) must be a mapping") }
            targets.append(try target(own, shared: shared, number: i + 1, path: path, environment: environment))
        }
        let names = targets.map(\.name)
        if Set(names).count != names.count { throw ConfigError(field: "targets", message: "target names must differ in \(path): \(names.joined(separator: ", "))") }
        return ComparePlan(targets: targets, rounds: rounds, objective: targets.first?.plan.objective.map { "\($0)" })
    }

    static func target(_ own: [String: Any], shared: [String: Any], number: Int, path: String, environment: [String: String]) throws(ConfigError) -> Target {
        guard let name = own["name"].map({ "\($0)" }), !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ConfigError(field: "targets", message: "target \(number) of \(path) needs a 'name' of letters, digits, '-', '_' or '.'")
        }
        var merged = shared
        for (key, value) in own where key != "name" { merged[key] = value }
        let source = "\(path) (target \(name))"
        let arguments = try ConfigFile.arguments(map: merged, source: source, command: BenchCommand.self)
        let command: BenchCommand
        do { command = try BenchCommand.parse(arguments) } catch {
            throw ConfigError(field: "targets", message: "\(source): \(BenchCommand.message(for: error))")
        }
        guard command.endpoint.effectiveURL != nil else {
            throw ConfigError(field: "url", message: "\(source) has no url (compare does not start the built-in target; run tokenmeter target and give its url)")
        }
        let plan = try command.plan(environment: environment)
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(plan.endpoint.address.host)
        let keyed = plan.endpoint.headers.contains { ["authorization", "x-api-key"].contains($0.0.lowercased()) }
        if !loopback, !keyed {
            throw ConfigError(field: "api-key-env", message: "\(source) has no API key: give api-key-env NAME (a variable that is set) or api-key-file PATH")
        }
        guard plan.load.modes.count == 1, plan.load.search == nil else {
            throw ConfigError(field: "targets", message: "\(source): compare runs one load point per target; give one concurrency, sessions or rate value")
        }
        return Target(name: name, plan: plan, settings: command.settings)
    }
}
