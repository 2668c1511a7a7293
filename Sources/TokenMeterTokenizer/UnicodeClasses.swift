import Foundation

/// Character classes as the Hugging Face `tokenizers` library (Rust `char` methods and Oniguruma) defines them.
enum UnicodeClass {
    /// `\p{L}`: Lu, Ll, Lt, Lm, Lo.
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return (s.value | 0x20) >= 0x61 && (s.value | 0x20) <= 0x7A }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `\p{N}`: Nd, Nl, No.
    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return s.value >= 0x30 && s.value <= 0x39 }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// `\s` in Oniguruma and Rust's `char::is_whitespace`: the Unicode White_Space property.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return s.value == 0x20 || (s.value >= 0x09 && s.value <= 0x0D) }
        return s.properties.isWhitespace
    }

    /// `\w` in Oniguruma (Unicode TS #18): Alphabetic, marks, decimal digits, connector punctuation and the joiners.
    static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return isLetter(s) || isNumber(s) || s == "_" }
        if s.value == 0x200C || s.value == 0x200D { return true }
        if s.properties.isAlphabetic { return true }
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// Unicode punctuation (P*) or ASCII punctuation, as the Punctuation pre-tokenizer splits on.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 {
            let v = s.value
            return (v >= 33 && v <= 47) || (v >= 58 && v <= 64) || (v >= 91 && v <= 96) || (v >= 123 && v <= 126)
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation,
             .otherPunctuation:
            return true
        default: return false
        }
    }

    /// Any mark (Mn, Mc, Me).
    static func isMark(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return false }
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// BERT's whitespace: space, tab, newline, carriage return, or Zs.
    static func isBertWhitespace(_ s: Unicode.Scalar) -> Bool {
        if s == " " || s == "\t" || s == "\n" || s == "\r" { return true }
        return s.value >= 0x80 && s.properties.generalCategory == .spaceSeparator
    }

    /// BERT's control characters: every C* category except tab, newline and carriage return.
    static func isBertControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        if s.value < 0x80 { return s.value < 0x20 || s.value == 0x7F }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate, .unassigned: return true
        default: return false
        }
    }

    /// CJK ideographs, the ranges BERT surrounds with spaces.
    static func isChineseCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F, 0x2B920...0x2CEAF,
             0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}

extension String {
    /// A string of these scalars (concrete over array slices: this runs for every word encoded).
    init(scalars: ArraySlice<Unicode.Scalar>) {
        var ascii = true
        for c in scalars where c.value >= 0x80 {
            ascii = false
            break
        }
        if ascii {
            self = String(unsafeUninitializedCapacity: scalars.count) { buffer in
                var i = 0
                for c in scalars {
                    buffer[i] = UInt8(truncatingIfNeeded: c.value)
                    i += 1
                }
                return i
            }
            return
        }
        self = String(unsafeUninitializedCapacity: scalars.count * 4) { buffer in
            var i = 0
            for c in scalars {
                for b in UTF8.encode(c)! {
                    buffer[i] = b
                    i += 1
                }
            }
            return i
        }
    }

    /// A string of these scalars.
    init(scalars: [Unicode.Scalar]) { self.init(scalars: scalars[...]) }

    /// True when every byte is ASCII (every Unicode normalization form leaves such text unchanged).
    var isASCII: Bool { utf8.allSatisfy { $0 < 0x80 } }
}

/// A dictionary key that compares strings byte for byte. Swift's `String` equality is canonical equivalence ("é" equals
/// "e\u{301}"), but a vocabulary may hold both spellings as different tokens, and the reference compares bytes.
struct TokenKey: Hashable, Sendable {
    var text: String

    init(_ text: String) {
        var t = text
        t.makeContiguousUTF8()
        self.text = t
    }

    static func == (a: TokenKey, b: TokenKey) -> Bool {
        let fast = a.text.utf8.withContiguousStorageIfAvailable { x in
            b.text.utf8.withContiguousStorageIfAvailable { y in
                x.count == y.count && (x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
            }
        }
        if let fast, let result = fast { return result }
        return a.text.utf8.elementsEqual(b.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        if let done: Void = text.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) {
            return done
        }
        for b in text.utf8 { hasher.combine(b) }
    }
}
