import Foundation

/// What a pre-tokenizer does with the matches of its pattern (the `behavior` of a Hugging Face `Split`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious", mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Cuts `count` scalars into the pieces this behaviour keeps, given the pattern's matches (sorted, disjoint).
    func pieces(count: Int, matches: [Range<Int>], invert: Bool = false) -> [Range<Int>] {
        // Every scalar in exactly one segment: (range, isMatch).
        var segments: [(Range<Int>, Bool)] = []
        var at = 0
        for m in matches {
            if m.lowerBound > at { segments.append((at..<m.lowerBound, invert)) }
            if !m.isEmpty { segments.append((m, !invert)) }
            at = m.upperBound
        }
        if at < count { segments.append((at..<count, invert)) }
        var out: [Range<Int>] = []
        switch self {
        case .removed:
            out = segments.filter { !$0.1 }.map(\.0)
        case .isolated:
            out = segments.map(\.0)
        case .mergedWithPrevious:
            var previousMatch = false
            for (range, isMatch) in segments {
                if isMatch, !previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    out.append(range)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (range, isMatch) in segments.reversed() {
                if isMatch, !previousMatch, let last = out.last {
                    out[out.count - 1] = range.lowerBound..<last.upperBound
                } else {
                    out.append(range)
                }
                previousMatch = isMatch
            }
            out.reverse()
        case .contiguous:
            var previousMatch = false
            for (range, isMatch) in segments {
                if isMatch, previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    out.append(range)
                }
                previousMatch = isMatch
            }
        }
        return out.filter { !$0.isEmpty }
    }
}

/// A pre-tokenizer's split pattern. The patterns of GPT-2, Llama 3 and Qwen2 (and BERT's, and `\w+|[^\w\s]+`) are matched by
/// hand-written scanners that give the same matches as the regex; any other pattern goes to `NSRegularExpression`.
enum SplitPattern: @unchecked Sendable {
    // `@unchecked`: NSRegularExpression is immutable after creation and documented as safe to share between threads.

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// Llama 3's pattern with `\p{N}{1,maxDigits}` (3 for Llama 3 and tiktoken's cl100k, 1 for Qwen2).
    case llama3(maxDigits: Int)
    /// `\w+|[^\w\s]+` (the Whitespace pre-tokenizer).
    case words
    /// A literal string.
    case literal([Unicode.Scalar])
    /// Any other regex.
    case regex(NSRegularExpression)

    static let gpt2Source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let wordsSource = #"\w+|[^\w\s]+"#

    /// The scanner for a regex source: a hand-written one when the source is a known pattern, else the regex itself.
    static func compile(regex source: String) throws -> SplitPattern {
        switch source {
        case gpt2Source: return .gpt2
        case llama3Source: return .llama3(maxDigits: 3)
        case qwen2Source: return .llama3(maxDigits: 1)
        case wordsSource: return .words
        default: return .regex(try NSRegularExpression(pattern: source))
        }
    }

    /// The matches in `s`, as scalar offset ranges, left to right.
    func matches(in s: [Unicode.Scalar]) -> [Range<Int>] {
        switch self {
        case .gpt2: return Self.scan(s) { Self.gpt2Match(s, $0) }
        case let .llama3(maxDigits): return Self.scan(s) { Self.llama3Match(s, $0, maxDigits: maxDigits) }
        case .words: return Self.scan(s) { Self.wordsMatch(s, $0) }
        case let .literal(needle): return Self.literalMatches(needle, in: s)
        case let .regex(regex): return Self.regexMatches(regex, in: s)
        }
    }

    /// Runs a matcher that returns the end of the match at a position (nil where none starts there).
    private static func scan(_ s: [Unicode.Scalar], _ match: (Int) -> Int?) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < s.count {
            if let end = match(i), end > i {
                out.append(i..<end)
                i = end
            } else {
                i += 1
            }
        }
        return out
    }

    private static func end(_ s: [Unicode.Scalar], from i: Int, while test: (Unicode.Scalar) -> Bool, limit: Int = .max) -> Int {
        var j = i
        while j < s.count, j - i < limit, test(s[j]) { j += 1 }
        return j
    }

    private static func isOther(_ c: Unicode.Scalar) -> Bool {
        !UnicodeClass.isWhitespace(c) && !UnicodeClass.isLetter(c) && !UnicodeClass.isNumber(c)
    }

    /// The end of `'s|'t|'re|'ve|'m|'ll|'d` at `i`, case-sensitive or not.
    private static func contraction(_ s: [Unicode.Scalar], _ i: Int, caseInsensitive: Bool) -> Int? {
        guard s[i] == "'", i + 1 < s.count else { return nil }
        func folded(_ c: Unicode.Scalar) -> Unicode.Scalar {
            guard caseInsensitive else { return c }
            if c.value >= 0x41, c.value <= 0x5A { return Unicode.Scalar(c.value + 0x20)! }
            if c == "\u{17F}" { return "s" }  // LATIN SMALL LETTER LONG S folds to s
            if c == "\u{212A}" { return "k" }  // KELVIN SIGN folds to k
            return c
        }
        let a = folded(s[i + 1])
        if a == "s" || a == "t" || a == "m" || a == "d" { return i + 2 }
        guard i + 2 < s.count else { return nil }
        let b = folded(s[i + 2])
        if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return i + 3 }
        return nil
    }

    /// `\s+(?!\S)|\s+` at a whitespace run starting at `i`.
    private static func whitespaceRun(_ s: [Unicode.Scalar], _ i: Int) -> Int? {
        let j = end(s, from: i, while: UnicodeClass.isWhitespace)
        guard j > i else { return nil }
        if j == s.count || j - i == 1 { return j }
        return j - 1
    }

    static func gpt2Match(_ s: [Unicode.Scalar], _ i: Int) -> Int? {
        if let e = contraction(s, i, caseInsensitive: false) { return e }
        let start = s[i] == " " && i + 1 < s.count ? i + 1 : i
        for test in [UnicodeClass.isLetter, UnicodeClass.isNumber, isOther] as [(Unicode.Scalar) -> Bool] {
            if test(s[start]) { return end(s, from: start, while: test) }
            if start != i, test(s[i]) { return end(s, from: i, while: test) }
        }
        return whitespaceRun(s, i)
    }

    static func llama3Match(_ s: [Unicode.Scalar], _ i: Int, maxDigits: Int) -> Int? {
        let c = s[i]
        if let e = contraction(s, i, caseInsensitive: true) { return e }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if c != "\r", c != "\n", !UnicodeClass.isLetter(c), !UnicodeClass.isNumber(c), i + 1 < s.count, UnicodeClass.isLetter(s[i + 1]) {
            return end(s, from: i + 1, while: UnicodeClass.isLetter)
        }
        if UnicodeClass.isLetter(c) { return end(s, from: i, while: UnicodeClass.isLetter) }
        // \p{N}{1,n}
        if UnicodeClass.isNumber(c) { return end(s, from: i, while: UnicodeClass.isNumber, limit: maxDigits) }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        let start = c == " " && i + 1 < s.count ? i + 1 : i
        if isOther(s[start]) {
            let k = end(s, from: start, while: isOther)
            return end(s, from: k) { $0 == "\r" || $0 == "\n" }
        }
        // \s*[\r\n]+
        let j = end(s, from: i, while: UnicodeClass.isWhitespace)
        if let last = (i..<j).last(where: { s[$0] == "\r" || s[$0] == "\n" }) { return last + 1 }
        return whitespaceRun(s, i)
    }

    static func wordsMatch(_ s: [Unicode.Scalar], _ i: Int) -> Int? {
        if UnicodeClass.isWordCharacter(s[i]) { return end(s, from: i, while: UnicodeClass.isWordCharacter) }
        if !UnicodeClass.isWhitespace(s[i]) {
            return end(s, from: i) { !UnicodeClass.isWordCharacter($0) && !UnicodeClass.isWhitespace($0) }
        }
        return nil
    }

    private static func literalMatches(_ needle: [Unicode.Scalar], in s: [Unicode.Scalar]) -> [Range<Int>] {
        guard !needle.isEmpty, needle.count <= s.count else { return [] }
        var out: [Range<Int>] = []
        var i = 0
        while i + needle.count <= s.count {
            if s[i] == needle[0], s[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(i..<(i + needle.count))
                i += needle.count
            } else {
                i += 1
            }
        }
        return out
    }

    private static func regexMatches(_ regex: NSRegularExpression, in s: [Unicode.Scalar]) -> [Range<Int>] {
        // NSRegularExpression works in UTF-16 offsets; map them back to scalar offsets.
        var utf16Offsets: [Int] = []
        utf16Offsets.reserveCapacity(s.count + 1)
        var u = 0
        for c in s {
            utf16Offsets.append(u)
            u += c.utf16.count
        }
        utf16Offsets.append(u)
        var scalarAt = [Int](repeating: -1, count: u + 1)
        for (k, off) in utf16Offsets.enumerated() { scalarAt[off] = k }
        let text = String(scalars: s)
        return regex.matches(in: text, range: NSRange(location: 0, length: u)).compactMap { m in
            let a = scalarAt[m.range.location], b = scalarAt[m.range.location + m.range.length]
            return a >= 0 && b >= 0 && b > a ? a..<b : nil
        }
    }
}
