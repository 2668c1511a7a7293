import TokenMeterCore

/// One sample of the Prometheus text exposition format.
public struct PrometheusSample: Sendable, Equatable {
    /// Metric name (with `_bucket`, `_sum`, `_count` suffixes for histogram series).
    public var name: String
    /// Labels, unescaped.
    public var labels: [String: String]
    /// The value (`+Inf`, `-Inf` and `NaN` allowed).
    public var value: Double
    /// The exposition timestamp in ms, when given.
    public var timestampMilliseconds: Int64?
}

/// A line of exposition text that does not parse, with its line number.
public struct PrometheusParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// What is wrong.
    public var reason: String
    public var description: String { "metrics line \(line): \(reason)" }
}

/// A parsed exposition: samples plus the declared type of each family.
public struct PrometheusExposition: Sendable, Equatable {
    /// Every sample in order.
    public var samples: [PrometheusSample]
    /// `# TYPE` declarations: family name → counter, gauge, histogram, summary or untyped.
    public var types: [String: String]

    /// Parses the text format (version 0.0.4); comments other than HELP/TYPE are ignored.
    public init(parsing text: String) throws(PrometheusParseError) {
        samples = []
        types = [:]
        var number = 0
        // Split on bytes: Swift treats "\r\n" as one Character, so splitting the String on "\n" misses CRLF lines.
        for rawLine in Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            let bytes = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
            let line = Substring(String(decoding: bytes, as: UTF8.self))
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                if parts.count >= 4, parts[1] == "TYPE" {
                    let kind = parts[3].trimmingWhitespace
                    guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(kind) else {
                        throw PrometheusParseError(line: number, reason: "unknown type '\(kind)'")
                    }
                    types[String(parts[2])] = kind
                }
                continue
            }
            samples.append(try Self.sample(Array(line.utf8), line: number))
        }
    }

    private static func isNameByte(_ b: UInt8, first: Bool) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F || b == 0x3A || (!first && b >= 0x30 && b <= 0x39)
    }

    private static func sample(_ bytes: [UInt8], line: Int) throws(PrometheusParseError) -> PrometheusSample {
        var i = 0
        func fail(_ reason: String) -> PrometheusParseError { PrometheusParseError(line: line, reason: reason) }
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
        let nameStart = i
        while i < bytes.count, isNameByte(bytes[i], first: i == nameStart) { i += 1 }
        guard i > nameStart else { throw fail("expected a metric name") }
        let name = String(decoding: bytes[nameStart..<i], as: UTF8.self)
        var labels: [String: String] = [:]
        if i < bytes.count, bytes[i] == UInt8(ascii: "{") {
            i += 1
            while true {
                while i < bytes.count, bytes[i] == 0x20 || bytes[i] == UInt8(ascii: ",") { i += 1 }
                guard i < bytes.count else { throw fail("unterminated label set") }
                if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                let keyStart = i
                while i < bytes.count, isNameByte(bytes[i], first: i == keyStart) { i += 1 }
                guard i > keyStart, i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw fail("expected label=\"value\"") }
                let key = String(decoding: bytes[keyStart..<i], as: UTF8.self)
                i += 1
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("label value must be quoted") }
                i += 1
                var value: [UInt8] = []
                var closed = false
                while i < bytes.count {
                    let b = bytes[i]
                    if b == UInt8(ascii: "\"") { closed = true; i += 1; break }
                    if b == UInt8(ascii: "\\"), i + 1 < bytes.count {
                        let e = bytes[i + 1]
                        value.append(e == UInt8(ascii: "n") ? 0x0A : e)
                        i += 2
                        continue
                    }
                    value.append(b)
                    i += 1
                }
                guard closed else { throw fail("unterminated label value") }
                labels[key] = String(decoding: value, as: UTF8.self)
            }
        }
        let rest = String(decoding: bytes[i...], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let valueText = rest.first else { throw fail("no value") }
        let value: Double
        switch valueText.lowercased() {
        case "+inf", "inf": value = .infinity
        case "-inf": value = -.infinity
        case "nan": value = .nan
        default:
            guard let v = Double(valueText) else { throw fail("'\(valueText)' is not a number") }
            value = v
        }
        var timestamp: Int64?
        if rest.count >= 2 {
            guard let t = Int64(rest[1]) else { throw fail("'\(rest[1])' is not a timestamp") }
            timestamp = t
        }
        guard rest.count <= 2 else { throw fail("unexpected text after the value") }
        return PrometheusSample(name: name, labels: labels, value: value, timestampMilliseconds: timestamp)
    }

    /// The sum over label sets of every sample named `name` (nil when there is none).
    public func total(_ name: String) -> Double? {
        let matching = samples.filter { $0.name == name }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }
}
