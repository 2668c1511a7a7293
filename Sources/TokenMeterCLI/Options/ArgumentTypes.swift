import ArgumentParser
import TokenMeterCore

/// A comma-separated list of numbers (`1,2,4`), kept as a JSON array in a run's settings.
struct CommaList<Element: LosslessStringConvertible & Encodable & Sendable>: ExpressibleByArgument, Encodable, Sendable {
    var values: [Element]

    init?(argument: String) {
        var values: [Element] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Element(part.trimmingWhitespace) else { return nil }
            values.append(value)
        }
        guard !values.isEmpty else { return nil }
        self.values = values
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }

    var defaultValueDescription: String { values.map(String.init(describing:)).joined(separator: ",") }
}

/// An extra request header, `Name: value`. Its value is a secret as far as anything written is concerned: it is encoded as
/// `Name: <redacted>`, so it never reaches a result, the store or a log.
struct HeaderLine: ExpressibleByArgument, Encodable, Sendable {
    var name: String
    var value: String

    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        name = parts[0].trimmingWhitespace
        value = parts[1].trimmingWhitespace
        guard !name.isEmpty else { return nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("\(name): <redacted>")
    }
}
