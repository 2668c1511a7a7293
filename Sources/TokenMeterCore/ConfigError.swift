/// A configuration or flag value that cannot be used, naming the field and what to do.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The flag or YAML field at fault.
    public var field: String
    /// What is wrong and how to fix it.
    public var message: String

    /// Creates an error for a field.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }

    /// The error for a key that is not among `known`, suggesting the closest known one.
    public static func unknownKey(_ key: String, known: some Collection<String>, in source: String) -> ConfigError {
        ConfigError(field: key, message: "unknown setting in \(source); did you mean '\(closest(key, in: known) ?? "")'?")
    }

    /// The name among `known` closest to `name` (fewest edits).
    public static func closest(_ name: String, in known: some Collection<String>) -> String? {
        known.min { editDistance($0, name) < editDistance($1, name) }
    }

    /// Levenshtein distance between two strings.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces, tabs and newlines.
    public var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}

/// Parses and prints durations such as `500ms`, `2s`, `1.5m`, `250us`.
public enum DurationText {
    /// Milliseconds in a duration; a bare number means seconds unless `bareUnitMilliseconds`.
    public static func milliseconds(_ text: String, field: String, bareUnitMilliseconds: Bool = false) throws(ConfigError) -> Double {
        let t = text.trimmingWhitespace.lowercased()
        let units: [(String, Double)] = [("ms", 1), ("us", 0.001), ("µs", 0.001), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            let number = String(t.dropLast(suffix.count))
            if let v = Double(number), v.isFinite, v >= 0 { return v * scale }
            break
        }
        if let v = Double(t), v.isFinite, v >= 0 { return v * (bareUnitMilliseconds ? 1 : 1000) }
        throw ConfigError(field: field, message: "'\(text)' is not a duration; write e.g. 500ms, 2s or 1.5m")
    }

    /// A compact rendering of milliseconds (`80ms`, `2s`).
    public static func format(milliseconds ms: Double) -> String {
        if ms >= 1000, (ms / 1000).rounded() == ms / 1000 { return "\(Int(ms / 1000))s" }
        if ms.rounded() == ms { return "\(Int(ms))ms" }
        return "\(ms)ms"
    }
}
