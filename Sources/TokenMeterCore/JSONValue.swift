/// A JSON value, parsed by a small UTF-8 parser that is cheap enough to run per streamed event.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The member named `key` of an object, else nil.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first(where: { $0.0 == key })?.1
    }

    /// The element at `index` of an array, else nil.
    public subscript(index: Int) -> JSONValue? {
        guard case let .array(items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// The string payload, else nil.
    public var stringValue: String? { if case let .string(s) = self { s } else { nil } }
    /// The numeric payload, else nil.
    public var doubleValue: Double? { if case let .number(n) = self { n } else { nil } }
    /// The numeric payload as an integer when it is one, else nil.
    public var intValue: Int? {
        guard case let .number(n) = self, n.rounded() == n, abs(n) < 9e15 else { return nil }
        return Int(n)
    }
    /// The boolean payload, else nil.
    public var boolValue: Bool? { if case let .bool(b) = self { b } else { nil } }
    /// The elements of an array.
    public var arrayValue: [JSONValue]? { if case let .array(a) = self { a } else { nil } }
    /// True for `null`.
    public var isNull: Bool { if case .null = self { true } else { false } }

    /// Compact JSON text of the value.
    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n):
            if n.rounded() == n, abs(n) < 1e15 { out += String(Int64(n)) } else { out += "\(n)" }
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(k, to: &out)
                out += ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    /// Appends `s` as a JSON string literal.
    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// A copy of an object with `extra`'s members set over its own (later wins).
    public func merging(_ extra: JSONValue) -> JSONValue {
        guard case var .object(members) = self, case let .object(more) = extra else { return self }
        for (k, v) in more {
            if let i = members.firstIndex(where: { $0.0 == k }) { members[i].1 = v } else { members.append((k, v)) }
        }
        return .object(members)
    }
}

/// A JSON text that did not parse, with the byte offset where parsing stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the problem.
    public var offset: Int
    /// What was expected.
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }

    /// Creates an error.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }
}

extension JSONValue {
    /// Parses UTF-8 JSON text; trailing non-space bytes are an error.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses UTF-8 JSON bytes; trailing non-space bytes are an error.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        let value = try parser.parseValue(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw JSONParseError(offset: parser.index, reason: "trailing characters") }
        return value
    }

    /// Parses UTF-8 JSON from an array of bytes.
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(JSONParseError) { return .success(try parse(bytes: buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
