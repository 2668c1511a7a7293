import ArgumentParser
import Foundation
import TokenMeterCore

/// A YAML config file read through the command's own declarations: each `key: value` becomes `--key value`, placed
/// before the command line's own arguments, so a flag given on the command line wins (a list option such as `--header`
/// collects both). No setting is named here: a key is whatever option the command declares.
enum ConfigFile {
    /// The arguments with every `--config FILE` of a command that declares `--config` replaced by the file's arguments.
    static func expand(_ arguments: [String], command: any ParsableCommand.Type) throws(ConfigError) -> [String] {
        guard let i = arguments.firstIndex(where: { $0 == "--config" || $0.hasPrefix("--config=") }) else { return arguments }
        let path: String
        var rest = arguments
        if arguments[i] == "--config" {
            guard i + 1 < arguments.count else { throw ConfigError(field: "config", message: "--config needs a file") }
            path = arguments[i + 1]
            rest.removeSubrange(i...(i + 1))
        } else {
            path = String(arguments[i].dropFirst("--config=".count))
            rest.remove(at: i)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "config", message: "cannot read '\(path)'; check the path")
        }
        let fromFile = try self.arguments(yaml: String(decoding: data, as: UTF8.self), source: path, command: command)
        rest.insert(contentsOf: fromFile, at: i)
        return rest
    }

    /// The arguments a YAML text stands for; an unknown key or a bad value is an error that names the key and the file.
    static func arguments(yaml: String, source: String, command: any ParsableCommand.Type) throws(ConfigError) -> [String] {
        guard let node = try YAMLDocument.load(yaml, source: source, typed: false) else { return [] }
        guard let map = node as? [String: Any] else {
            throw ConfigError(field: "config", message: "\(source) must be a mapping of settings (key: value)")
        }
        return try arguments(map: map, source: source, command: command)
    }

    /// The arguments a mapping of settings (YAML read untyped) stands for.
    static func arguments(map: [String: Any], source: String, command: any ParsableCommand.Type) throws(ConfigError) -> [String] {
        let declared = try Declarations.of(command).arguments ?? []
        let byName = Dictionary(declared.flatMap { a in a.longNames.map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
        var arguments: [String] = []
        for key in map.keys.sorted() {
            guard key != "config", let declaration = byName[key], declaration.kind != "positional" else {
                throw ConfigError.unknownKey(key, known: Set(byName.keys).subtracting(["config"]), in: source)
            }
            let value = try words(map[key]!, key: key, source: source)
            let own = try self.arguments(key, value, declaration, invertible: byName["no-\(key)"] != nil, source: source)
            do { _ = try command.parse(own) } catch {
                throw ConfigError(field: key, message: "bad value in \(source): \(command.message(for: error))")
            }
            arguments += own
        }
        return arguments
    }

    /// The command-line form of one key.
    static func arguments(_ key: String, _ value: [String], _ declaration: Declarations.Argument, invertible: Bool,
                          source: String) throws(ConfigError) -> [String] {
        guard declaration.kind == "flag" else {
            if declaration.isRepeating { return value.flatMap { ["--\(key)", $0] } }
            return ["--\(key)", value.joined(separator: ",")]
        }
        guard value.count == 1, let on = switchValue(value[0]) else {
            throw ConfigError(field: key, message: "bad value in \(source): \(key) is a switch; write \(key): true or \(key): false")
        }
        if on { return ["--\(key)"] }
        return invertible ? ["--no-\(key)"] : []
    }

    /// A switch as YAML writes one: true/false, yes/no, on/off.
    static func switchValue(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on": true
        case "false", "no", "off": false
        default: nil
        }
    }

    /// A YAML scalar (kept as written) or a sequence of them, as text.
    static func words(_ node: Any, key: String, source: String) throws(ConfigError) -> [String] {
        if let list = node as? [Any] {
            var out: [String] = []
            for item in list { out += try words(item, key: key, source: source) }
            return out
        }
        switch node {
        case let s as String: return [s]
        default:
            throw ConfigError(field: key, message: "bad value in \(source): \(key) must be a value or a list of values, not a mapping")
        }
    }
}
