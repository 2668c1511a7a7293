/// Typed reads that throw on a value of another kind, for decoders that know their schema (a timeline's records): integers
/// exactly, without a detour through Double.
extension JSONParser {
    /// Reads a non-negative integer exactly, all 64 bits (no detour through Double); throws on anything else, a fraction or
    /// an exponent included.
    public mutating func unsignedInteger() throws(JSONParseError) -> UInt64 {
        skipSpace()
        var value: UInt64 = 0
        let start = index
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[index] &- UInt8(ascii: "0")))
            guard !o1, !o2 else { throw fail("integer out of range") }
            value = sum
            index += 1
        }
        guard index > start else { throw fail("expected an integer") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] | 0x20 == UInt8(ascii: "e") { throw fail("expected an integer") }
        return value
    }

    /// Reads an integer exactly; throws on anything else.
    public mutating func integer() throws(JSONParseError) -> Int {
        if peek() == UInt8(ascii: "-") {
            index += 1
            let magnitude = try unsignedInteger()
            guard magnitude <= UInt64(Int.max) else { throw fail("integer out of range") }
            return -Int(magnitude)
        }
        let value = try unsignedInteger()
        guard value <= UInt64(Int.max) else { throw fail("integer out of range") }
        return Int(value)
    }

    /// Reads a string; throws on anything else.
    public mutating func string() throws(JSONParseError) -> String {
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
        return try parseString()
    }

    /// Reads `true` or `false`; throws on anything else.
    public mutating func bool() throws(JSONParseError) -> Bool {
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw fail("expected true or false")
        }
    }

    /// Consumes `null` and returns true when it is next; false (consuming nothing) otherwise.
    public mutating func null() throws(JSONParseError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }
}

extension JSONParser {
    /// The key of the current member, when it has no escape (the parser compares keys as raw bytes); throws otherwise.
    public func plainKey() throws(JSONParseError) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[keyStart..<keyEnd])
        guard !raw.contains(UInt8(ascii: "\\")) else { throw fail("a key with an escape") }
        return String(decoding: raw, as: UTF8.self)
    }
}
