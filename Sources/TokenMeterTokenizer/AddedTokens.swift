import TokenMeterCore

/// The added (and special) tokens of a tokenizer, matched in the text before the model sees it.
struct AddedTokens: Sendable {
    struct Token: Sendable {
        var id: Int
        var content: [Unicode.Scalar]
        var singleWord: Bool
        var leftStrip: Bool
        var rightStrip: Bool
        var special: Bool
    }

    /// Tokens matched on the raw text (`normalized: false`) and on normalized pieces (`normalized: true`).
    private(set) var raw = Matcher()
    private(set) var normalized = Matcher()
    /// Ids of special tokens, by content.
    private(set) var specialIDs: [String: Int] = [:]

    init(json: JSONValue?) throws {
        guard case let .array(items)? = json else { return }
        for item in items {
            guard let id = item["id"]?.intValue, let content = item["content"]?.stringValue else {
                throw ConfigError(field: "tokenizer.added_tokens", message: "an added token without id or content")
            }
            let special = item["special"]?.boolValue ?? false
            let token = Token(id: id, content: Array(content.unicodeScalars), singleWord: item["single_word"]?.boolValue ?? false,
                              leftStrip: item["lstrip"]?.boolValue ?? false, rightStrip: item["rstrip"]?.boolValue ?? false, special: special)
            if special { specialIDs[content] = id }
            guard !content.isEmpty else { continue }
            if item["normalized"]?.boolValue ?? !special { normalized.add(token) } else { raw.add(token) }
        }
    }

    /// Leftmost-longest matching of a set of tokens, with `single_word`, `lstrip` and `rstrip` as the reference applies them.
    struct Matcher: Sendable {
        /// Tokens by their first scalar, longest first.
        private var byFirst: [UInt32: [Token]] = [:]
        var isEmpty: Bool { byFirst.isEmpty }

        mutating func add(_ token: Token) {
            guard let first = token.content.first else { return }
            byFirst[first.value, default: []].append(token)
            byFirst[first.value]!.sort { $0.content.count > $1.content.count }
        }

        /// The text cut into pieces: `(range, token id)` for a matched token, `(range, nil)` for text between them.
        func split(_ s: [Unicode.Scalar]) -> [(Range<Int>, Int?)] {
            guard !byFirst.isEmpty else { return [(0..<s.count, nil)] }
            var matches: [(Range<Int>, Int)] = []
            var previousEnd = 0
            var i = 0
            while i < s.count {
                guard let candidates = byFirst[s[i].value],
                      let token = candidates.first(where: { i + $0.content.count <= s.count && s[i..<(i + $0.content.count)].elementsEqual($0.content) })
                else {
                    i += 1
                    continue
                }
                var start = i
                var stop = i + token.content.count
                i = stop
                if token.singleWord {
                    // `\w` of Rust's regex crate (Unicode TS #18), as the reference checks `single_word`.
                    let before = start == 0 || !UnicodeClass.isWordCharacter(s[start - 1])
                    let after = stop == s.count || !UnicodeClass.isWordCharacter(s[stop])
                    if !before || !after { continue }
                }
                if token.leftStrip {
                    var k = start
                    while k > previousEnd, UnicodeClass.isWhitespace(s[k - 1]) { k -= 1 }
                    start = k
                }
                if token.rightStrip {
                    while stop < s.count, UnicodeClass.isWhitespace(s[stop]) { stop += 1 }
                    i = stop
                }
                matches.append((start..<stop, token.id))
                previousEnd = stop
            }
            var out: [(Range<Int>, Int?)] = []
            var at = 0
            for (range, id) in matches {
                if range.lowerBound > at { out.append((at..<range.lowerBound, nil)) }
                out.append((range, id))
                at = range.upperBound
            }
            if at < s.count { out.append((at..<s.count, nil)) }
            return out
        }

    }
}
