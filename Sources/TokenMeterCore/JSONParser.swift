/// A forward-only reader over UTF-8 JSON: parse the values you want, skip the rest without allocating.
public struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Byte offset of the next unread byte.
    public internal(set) var index = 0
    static let maxDepth = 128
    var keyStart = 0
    var keyEnd = 0

    /// Creates a reader over bytes that must outlive it.
    public init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Consumes `{`; throws if the next value is not an object.
    public mutating func enterObject() throws(JSONParseError) {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { throw fail("expected an object") }
        index += 1
        first = true
    }

    /// Consumes `[`; throws if the next value is not an array.
    public mutating func enterArray() throws(JSONParseError) {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { throw fail("expected an array") }
        index += 1
        first = true
    }

    private var first = true

    /// Moves to the next member of the object just entered: true with the cursor on its value, false after `}`.
    public mutating func nextMember() throws(JSONParseError) -> Bool {
        skipSpace()
        guard index < bytes.count else { throw fail("unexpected end") }
        if bytes[index] == UInt8(ascii: "}") { index += 1; first = false; return false }
        if !first {
            guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
            index += 1
            skipSpace()
        }
        first = false
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
        index += 1
        keyStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\") { index += 1 }
            index += 1
        }
        guard index < bytes.count else { throw fail("unterminated key") }
        keyEnd = index
        index += 1
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        index += 1
        return true
    }

    /// Moves to the next element of the array just entered: true with the cursor on it, false after `]`.
    public mutating func nextElement() throws(JSONParseError) -> Bool {
        skipSpace()
        guard index < bytes.count else { throw fail("unexpected end") }
        if bytes[index] == UInt8(ascii: "]") { index += 1; first = false; return false }
        if !first {
            guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
            index += 1
        }
        first = false
        return true
    }

    /// True when the key of the current member is `name` (keys are compared as raw bytes).
    public func keyIs(_ name: StaticString) -> Bool {
        let n = name.utf8CodeUnitCount
        guard keyEnd - keyStart == n else { return false }
        let p = name.utf8Start
        for i in 0..<n where bytes[keyStart + i] != p[i] { return false }
        return true
    }

    /// What the next value is: `{`, `[`, `"`, `t`, `f`, `n`, or a number's first byte; nil at the end.
    public mutating func peek() -> UInt8? {
        skipSpace()
        return index < bytes.count ? bytes[index] : nil
    }

    /// Reads a string value, or skips a non-string value and returns nil.
    public mutating func stringOrSkip() throws(JSONParseError) -> String? {
        if peek() == UInt8(ascii: "\"") { return try parseString() }
        try skipValue(depth: 0)
        return nil
    }

    /// Reads an integral number value, or skips anything else and returns nil.
    public mutating func intOrSkip() throws(JSONParseError) -> Int? {
        guard let p = peek(), p == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p) else {
            try skipValue(depth: 0)
            return nil
        }
        let v = try parseNumber()
        return v.rounded() == v && abs(v) < 9e15 ? Int(v) : nil
    }

    /// Skips one value of any kind, checking its syntax but building nothing.
    public mutating func skip() throws(JSONParseError) { try skipValue(depth: 0) }

    /// Enters the value when it is an object and returns true; skips it (null, or anything else) and returns false.
    public mutating func enterObjectOrSkip() throws(JSONParseError) -> Bool {
        if peek() == UInt8(ascii: "{") {
            try enterObject()
            return true
        }
        try skip()
        return false
    }

    /// Parses one value of any kind.
    public mutating func value() throws(JSONParseError) -> JSONValue {
        let saved = first
        defer { first = saved }
        return try parseValue(depth: 0)
    }

    /// Throws unless only white space is left.
    public mutating func expectEnd() throws(JSONParseError) {
        skipSpace()
        guard index == bytes.count else { throw fail("trailing characters") }
    }

    mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard depth < JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
        skipSpace()
        guard index < bytes.count else { throw fail("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                try skipString()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                try skipValue(depth: depth + 1)
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try parseNumber()
        }
    }

    mutating func skipString() throws(JSONParseError) {
        index += 1
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") { index += 1; return }
            if b == UInt8(ascii: "\\") { index += 2; continue }
            if b < 0x20 { throw fail("control character in string") }
            index += 1
        }
        throw fail("unterminated string")
    }

    mutating func skipSpace() {
        while index < bytes.count {
            let b = bytes[index]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { index += 1 } else { break }
        }
    }

    func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
        skipSpace()
        guard index < bytes.count else { throw fail("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try parseNumber())
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw fail("unexpected end") }
        let ptr = word.utf8Start
        for i in 0..<n where bytes[index + i] != ptr[i] { throw fail("invalid literal") }
        index += n
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var members: [(String, JSONValue)] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
            let key = try parseString()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            members.append((key, try parseValue(depth: depth + 1)))
            skipSpace()
            guard index < bytes.count else { throw fail("unexpected end") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw fail("expected ',' or '}'")
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            items.append(try parseValue(depth: depth + 1))
            skipSpace()
            guard index < bytes.count else { throw fail("unexpected end") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw fail("control character in string") }
            index += 1
        }
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { throw fail("control character in string") }
            if b != UInt8(ascii: "\\") { out.append(b); index += 1; continue }
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let code = try unicodeEscape()
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    /// The code point of a `\u` escape (after the `u`), joining a surrogate pair; a lone surrogate is U+FFFD.
    mutating func unicodeEscape() throws(JSONParseError) -> UInt32 {
        let code = try hex4()
        if (0xDC00..<0xE000).contains(code) { return 0xFFFD }
        guard (0xD800..<0xDC00).contains(code) else { return code }
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return 0xFFFD }
        index += 2
        let low = try hex4()
        guard (0xDC00..<0xE000).contains(low) else { return 0xFFFD }
        return 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("bad hex digit")
            }
            v = v * 16 + d
            index += 1
        }
        return v
    }

    mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        var digits = 0
        while index < bytes.count {
            let b = bytes[index]
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e")
                || b == UInt8(ascii: "E") || b == UInt8(ascii: "+") || (b == UInt8(ascii: "-") && index > start)
            {
                digits += 1
                index += 1
            } else {
                break
            }
        }
        guard digits > 0 else { throw fail("unexpected character") }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw fail("invalid number '\(text)'") }
        return value
    }
}
