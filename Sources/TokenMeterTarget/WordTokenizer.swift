/// The reference target's tokenizer: one token per whitespace-separated word.
///
/// Synthetic prompts are made of words that are single tokens in real BPE vocabularies, so counts
/// against the target are exact and against real servers close.
public enum WordTokenizer {
    /// Token count of a text.
    public static func count(_ text: String) -> Int {
        var n = 0
        var inWord = false
        for b in text.utf8 {
            let space = b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D
            if !space, !inWord { n += 1 }
            inWord = !space
        }
        return n
    }

    /// Stable token ids of a text (a hash of each word), for `/tokenize`.
    public static func ids(_ text: String) -> [Int] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).map { word in
            var h: UInt32 = 2_166_136_261
            for b in word.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
            return Int(h % 150_000)
        }
    }

    /// The token ids of `vocabulary`'s words, in order.
    static let vocabularyIDs: [UInt32] = vocabulary.map { UInt32(ids($0)[0]) }

    /// The words the target generates, in turn.
    static let vocabulary: [String] = [
        " the", " model", " serves", " tokens", " at", " a", " steady", " rate", " and", " each", " step", " adds", " one",
        " more", " word", " to", " every", " running", " sequence",
    ]
}
