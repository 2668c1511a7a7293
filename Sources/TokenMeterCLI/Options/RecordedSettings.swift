import ArgumentParser
import Foundation
import TokenMeterCore
import TokenMeterResults

/// The settings a run keeps, read off its parsed option groups by the same reflection ArgumentParser uses to find them:
/// every option and flag under its flag name, with its value as given or its default. A header's value is redacted by its
/// type (`HeaderLine`), and no option holds a secret.
enum RecordedSettings {
    /// The settings of parsed option groups.
    static func of(_ groups: [any ParsableArguments]) -> RunSettings {
        var settings = RunSettings()
        for group in groups { collect(group, into: &settings) }
        return settings
    }

    static func collect(_ group: any ParsableArguments, into settings: inout RunSettings) {
        for child in Mirror(reflecting: group).children {
            guard let label = child.label, label.hasPrefix("_") else { continue }
            if let nested = child.value as? any ParsedGroup {
                collect(nested.parsedGroup, into: &settings)
            } else if let setting = child.value as? any RecordableSetting, let value = setting.recorded {
                settings[flagName(String(label.dropFirst()))] = value
            }
        }
    }

    /// ArgumentParser's default long name of a property: `maxPointDuration` → `max-point-duration`.
    static func flagName(_ property: String) -> String {
        var out = ""
        for (i, c) in property.enumerated() {
            if c.isUppercase, i > 0 { out.append("-") }
            out.append(Character(c.lowercased()))
        }
        return out
    }

    /// A value as JSON, through its own encoding.
    static func json(_ value: some Encodable) -> JSONValue? {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode(value), let json = try? JSONValue.parse(Array(data)) else { return nil }
        return json.isNull ? nil : json
    }
}

/// An option or flag whose parsed value can be recorded.
protocol RecordableSetting {
    var recorded: JSONValue? { get }
}

/// A parsed option group.
protocol ParsedGroup {
    var parsedGroup: any ParsableArguments { get }
}

extension Option: RecordableSetting where Value: Encodable {
    var recorded: JSONValue? { RecordedSettings.json(wrappedValue) }
}

extension Flag: RecordableSetting where Value: Encodable {
    var recorded: JSONValue? { RecordedSettings.json(wrappedValue) }
}

extension OptionGroup: ParsedGroup {
    var parsedGroup: any ParsableArguments { wrappedValue }
}
