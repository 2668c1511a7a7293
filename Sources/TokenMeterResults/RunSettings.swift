import TokenMeterCore

/// The settings a run was measured with, by option name (the same names as the flags and the YAML keys): what was given in
/// the config file and on the command line, with the defaults of the rest. Header values are redacted and secrets are never
/// among them. Stored as one JSON object under the result's `config` key, so results written before this type still read.
public struct RunSettings: Codable, Sendable, Equatable {
    /// Each setting's value.
    public var values: [String: JSONValue]

    /// Creates settings.
    public init(_ values: [String: JSONValue] = [:]) { self.values = values }

    /// The value of a setting, if it was recorded.
    public subscript(name: String) -> JSONValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: JSONValue].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
