import TokenMeterCore

/// A piece of text on its way through pre-tokenization.
struct TextPiece: Sendable {
    /// Its characters.
    var scalars: [Unicode.Scalar]
    /// True when the piece starts at the very start of the input (Metaspace's `prepend_scheme: first` needs it).
    var atStart: Bool
}

/// A Hugging Face pre-tokenizer: cuts normalized text into the words the model sees.
indirect enum PreTokenizer: Sendable {
    enum Prepend: String, Sendable { case always, first, never }

    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(SplitPattern, SplitBehavior, invert: Bool)
    case metaspace(replacement: Unicode.Scalar, prepend: Prepend, split: Bool)
    case whitespace
    case whitespaceSplit
    case digits(individual: Bool)
    case punctuation(SplitBehavior)
    case bert
    case charDelimiter(Unicode.Scalar)
    case sequence([PreTokenizer])

    /// Reads a `pre_tokenizer` object of tokenizer.json.
    init(json: JSONValue) throws {
        let type = json["type"]?.stringValue ?? ""
        func behavior(_ default: SplitBehavior) throws -> SplitBehavior {
            guard let name = json["behavior"]?.stringValue else { return `default` }
            guard let b = SplitBehavior(rawValue: name) else {
                throw ConfigError(field: "tokenizer.pre_tokenizer", message: "split behavior '\(name)' is not known")
            }
            return b
        }
        switch type {
        case "ByteLevel":
            self = .byteLevel(addPrefixSpace: json["add_prefix_space"]?.boolValue ?? true, useRegex: json["use_regex"]?.boolValue ?? true)
        case "Split":
            self = .split(try TokenizerJSON.pattern(json["pattern"], field: "pre_tokenizer.Split.pattern"), try behavior(.isolated),
                          invert: json["invert"]?.boolValue ?? false)
        case "Metaspace":
            let replacement = json["replacement"]?.stringValue?.unicodeScalars.first ?? "\u{2581}"
            let scheme: Prepend
            if let name = json["prepend_scheme"]?.stringValue {
                guard let s = Prepend(rawValue: name) else {
                    throw ConfigError(field: "tokenizer.pre_tokenizer", message: "Metaspace prepend_scheme '\(name)' is not known")
                }
                scheme = s
            } else {
                scheme = (json["add_prefix_space"]?.boolValue ?? true) ? .always : .never
            }
            self = .metaspace(replacement: replacement, prepend: scheme, split: json["split"]?.boolValue ?? true)
        case "Whitespace": self = .whitespace
        case "WhitespaceSplit": self = .whitespaceSplit
        case "Digits": self = .digits(individual: json["individual_digits"]?.boolValue ?? false)
        case "Punctuation": self = .punctuation(try behavior(.isolated))
        case "BertPreTokenizer": self = .bert
        case "CharDelimiterSplit":
            guard let d = json["delimiter"]?.stringValue?.unicodeScalars.first else {
                throw ConfigError(field: "tokenizer.pre_tokenizer", message: "CharDelimiterSplit without a delimiter")
            }
            self = .charDelimiter(d)
        case "Sequence":
            guard case let .array(items)? = json["pretokenizers"] else {
                throw ConfigError(field: "tokenizer.pre_tokenizer", message: "Sequence without a pretokenizers list")
            }
            self = .sequence(try items.map(PreTokenizer.init(json:)))
        default:
            throw ConfigError(field: "tokenizer.pre_tokenizer", message: "pre-tokenizer '\(type)' is not supported")
        }
    }

    /// Cuts each piece further.
    func apply(_ pieces: [TextPiece]) -> [TextPiece] {
        switch self {
        case let .sequence(items):
            return items.reduce(pieces) { $1.apply($0) }
        case let .byteLevel(addPrefixSpace, useRegex):
            return pieces.flatMap { piece -> [TextPiece] in
                var p = piece
                if addPrefixSpace, p.scalars.first != " " { p.scalars.insert(" ", at: 0) }
                let parts = useRegex ? Self.cut(p, SplitBehavior.isolated.pieces(count: p.scalars.count, matches: SplitPattern.gpt2.matches(in: p.scalars)))
                    : [p]
                return parts.map { TextPiece(scalars: ByteLevel.map($0.scalars), atStart: $0.atStart) }
            }
        case let .metaspace(replacement, prepend, split):
            return pieces.flatMap { piece -> [TextPiece] in
                var p = piece
                p.scalars = p.scalars.map { $0 == " " ? replacement : $0 }
                let wantsPrefix = prepend == .always || (prepend == .first && p.atStart)
                if wantsPrefix, p.scalars.first != replacement { p.scalars.insert(replacement, at: 0) }
                guard split else { return [p] }
                let matches = p.scalars.indices.filter { p.scalars[$0] == replacement }.map { $0..<($0 + 1) }
                return Self.cut(p, SplitBehavior.mergedWithNext.pieces(count: p.scalars.count, matches: matches))
            }
        default:
            return pieces.flatMap { piece in Self.cut(piece, ranges(in: piece.scalars)) }
        }
    }

    /// The kept ranges of one piece for the simple (stateless) splitters.
    private func ranges(in s: [Unicode.Scalar]) -> [Range<Int>] {
        func each(_ test: (Unicode.Scalar) -> Bool) -> [Range<Int>] { s.indices.filter { test(s[$0]) }.map { $0..<($0 + 1) } }
        switch self {
        case let .split(pattern, behavior, invert):
            return behavior.pieces(count: s.count, matches: pattern.matches(in: s), invert: invert)
        case .whitespace:
            return SplitBehavior.removed.pieces(count: s.count, matches: SplitPattern.words.matches(in: s), invert: true)
        case .whitespaceSplit:
            return SplitBehavior.removed.pieces(count: s.count, matches: each(UnicodeClass.isWhitespace))
        case let .digits(individual):
            return (individual ? SplitBehavior.isolated : .contiguous).pieces(count: s.count, matches: each(UnicodeClass.isNumber))
        case let .punctuation(behavior):
            return behavior.pieces(count: s.count, matches: each(UnicodeClass.isPunctuation))
        case .bert:
            let words = SplitBehavior.removed.pieces(count: s.count, matches: each(UnicodeClass.isWhitespace))
            return words.flatMap { w -> [Range<Int>] in
                let inner = Array(s[w])
                let punct = inner.indices.filter { UnicodeClass.isPunctuation(inner[$0]) }.map { $0..<($0 + 1) }
                return SplitBehavior.isolated.pieces(count: inner.count, matches: punct).map { ($0.lowerBound + w.lowerBound)..<($0.upperBound + w.lowerBound) }
            }
        case let .charDelimiter(d):
            return SplitBehavior.removed.pieces(count: s.count, matches: each { $0 == d })
        case .sequence, .byteLevel, .metaspace:
            return [0..<s.count]
        }
    }

    private static func cut(_ piece: TextPiece, _ ranges: [Range<Int>]) -> [TextPiece] {
        ranges.map { TextPiece(scalars: Array(piece.scalars[$0]), atStart: piece.atStart && $0.lowerBound == 0) }
    }
}

/// GPT-2's reversible byte ↔ printable character table.
enum ByteLevel {
    /// The character each byte maps to.
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte-level characters of the UTF-8 bytes of some text.
    static func map(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        let table = byteToScalar
        for c in scalars {
            if c.value < 0x80 {
                out.append(table[Int(c.value)])
            } else {
                for b in UTF8.encode(c)! { out.append(table[Int(b)]) }
            }
        }
        return out
    }
}
