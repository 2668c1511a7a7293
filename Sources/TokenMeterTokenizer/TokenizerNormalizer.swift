import Foundation
import TokenMeterCore

/// A Hugging Face normalizer: rewrites text before pre-tokenization.
indirect enum TokenizerNormalizer: Sendable {
    case nfc, nfd, nfkc, nfkd
    case lowercase
    case strip(left: Bool, right: Bool)
    case stripAccents
    case replace(SplitPattern, String)
    case prepend(String)
    case bert(cleanText: Bool, chineseCharacters: Bool, stripAccents: Bool, lowercase: Bool)
    case sequence([TokenizerNormalizer])

    /// Reads a `normalizer` object of tokenizer.json.
    init(json: JSONValue) throws {
        let type = json["type"]?.stringValue ?? ""
        switch type {
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "Strip": self = .strip(left: json["strip_left"]?.boolValue ?? true, right: json["strip_right"]?.boolValue ?? true)
        case "StripAccents": self = .stripAccents
        case "Replace":
            let content = json["content"]?.stringValue ?? ""
            self = .replace(try TokenizerJSON.pattern(json["pattern"], field: "normalizer.Replace.pattern"), content)
        case "Prepend": self = .prepend(json["prepend"]?.stringValue ?? "")
        case "BertNormalizer":
            let lowercase = json["lowercase"]?.boolValue ?? true
            self = .bert(cleanText: json["clean_text"]?.boolValue ?? true, chineseCharacters: json["handle_chinese_chars"]?.boolValue ?? true,
                         stripAccents: json["strip_accents"]?.boolValue ?? lowercase, lowercase: lowercase)
        case "Sequence":
            guard case let .array(items)? = json["normalizers"] else {
                throw ConfigError(field: "tokenizer.normalizer", message: "Sequence without a normalizers list")
            }
            self = .sequence(try items.map(TokenizerNormalizer.init(json:)))
        default:
            throw ConfigError(field: "tokenizer.normalizer", message: "normalizer '\(type)' is not supported"
                + (type == "Precompiled" ? " (a SentencePiece precompiled character map)" : ""))
        }
    }

    /// The normalized text.
    func apply(_ text: String) -> String {
        switch self {
        case .nfc: return text.isASCII ? text : text.precomposedStringWithCanonicalMapping
        case .nfd: return text.isASCII ? text : text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.isASCII ? text : text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.isASCII ? text : text.decomposedStringWithCompatibilityMapping
        case .lowercase: return Self.lowercased(text)
        case let .strip(left, right):
            var s = Array(text.unicodeScalars)
            if right { while let last = s.last, UnicodeClass.isWhitespace(last) { s.removeLast() } }
            var start = 0
            if left { while start < s.count, UnicodeClass.isWhitespace(s[start]) { start += 1 } }
            return String(scalars: s[start...])
        case .stripAccents:
            return text.isASCII ? text : String(scalars: text.unicodeScalars.filter { !UnicodeClass.isMark($0) })
        case let .replace(pattern, content):
            let s = Array(text.unicodeScalars)
            let matches = pattern.matches(in: s)
            guard !matches.isEmpty else { return text }
            var out = String.UnicodeScalarView()
            var at = 0
            for m in matches {
                out.append(contentsOf: s[at..<m.lowerBound])
                out.append(contentsOf: content.unicodeScalars)
                at = m.upperBound
            }
            out.append(contentsOf: s[at...])
            return String(out)
        case let .prepend(prefix): return text.isEmpty ? text : prefix + text
        case let .bert(cleanText, chineseCharacters, stripAccents, lowercase):
            var out = String.UnicodeScalarView()
            for c in text.unicodeScalars {
                if cleanText {
                    if c.value == 0 || c.value == 0xFFFD || UnicodeClass.isBertControl(c) { continue }
                    if UnicodeClass.isBertWhitespace(c) {
                        out.append(" ")
                        continue
                    }
                }
                if chineseCharacters, UnicodeClass.isChineseCharacter(c) {
                    out.append(" ")
                    out.append(c)
                    out.append(" ")
                } else {
                    out.append(c)
                }
            }
            var s = String(out)
            if stripAccents, !s.isASCII {
                s = String(scalars: s.decomposedStringWithCanonicalMapping.unicodeScalars.filter {
                    $0.properties.generalCategory != .nonspacingMark
                })
            }
            return lowercase ? Self.lowercased(s) : s
        case let .sequence(items):
            return items.reduce(text) { $1.apply($0) }
        }
    }

    /// The normalized text, and whether normalizing removed its first character (the reference then no longer counts the
    /// result as starting at the start of the input, which Metaspace's `prepend_scheme: first` looks at). One pass: a
    /// sequence hands each step's output to the next.
    func normalize(_ text: String) -> (text: String, droppedStart: Bool) {
        guard case let .sequence(items) = self else { return (apply(text), dropsStart(of: text)) }
        var current = text
        var dropped = false
        for item in items {
            let step = item.normalize(current)
            dropped = dropped || step.droppedStart
            current = step.text
        }
        return (current, dropped)
    }

    /// Whether one (non-sequence) normalizer removes the first character of `text`.
    private func dropsStart(of text: String) -> Bool {
        guard let first = text.unicodeScalars.first else { return false }
        switch self {
        case .nfc, .nfd, .nfkc, .nfkd, .lowercase, .prepend: return false
        case let .strip(left, _): return left && UnicodeClass.isWhitespace(first)
        case .stripAccents: return UnicodeClass.isMark(first)
        case let .replace(pattern, content):
            return content.isEmpty && pattern.matches(in: Array(text.unicodeScalars)).first?.lowerBound == 0
        case let .bert(cleanText, _, stripAccents, _):
            if cleanText, first.value == 0 || first.value == 0xFFFD || UnicodeClass.isBertControl(first) { return true }
            return stripAccents && first.properties.generalCategory == .nonspacingMark
        case .sequence:
            return normalize(text).droppedStart
        }
    }

    /// Lower case scalar by scalar (Rust's `char::to_lowercase`, no context rules such as final sigma).
    static func lowercased(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            if c.value < 0x80 {
                out.append(c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(c.value + 0x20)! : c)
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }
}
