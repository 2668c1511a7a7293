/// Prompt text made of words that are one token each, drawn by position from a seeded stream: the same stream and position
/// always give the same word, so a block or a message can be rebuilt from its identity alone and nothing needs caching.
///
/// Words are joined by single spaces. The reference target counts one token per word; with a tokenizer, the vocabulary is
/// first narrowed to words that are one token both at the start of a text and after a space, so a text of `n` words is
/// `n` tokens for that tokenizer too (its pre-tokenizer splits at spaces).
public struct SyntheticText: Sendable {
    /// The words drawn from.
    public let vocabulary: [String]
    /// Seed of every stream.
    public let seed: UInt64

    /// Creates a generator over a vocabulary (the usual single-token English words by default).
    public init(seed: UInt64, vocabulary: [String] = WorkloadGenerator.words) {
        precondition(vocabulary.count >= 2, "a vocabulary needs words")
        self.seed = seed
        self.vocabulary = vocabulary
    }

    /// The default vocabulary narrowed to words `isOneToken` accepts both alone and after a space (at least 32 must remain,
    /// else the default vocabulary is kept and `nil` says the tokenizer could not be matched).
    public static func vocabulary(whereOneToken isOneToken: (String) -> Bool) -> [String]? {
        let kept = WorkloadGenerator.words.filter { isOneToken($0) && isOneToken(" " + $0) }
        return kept.count >= 32 ? kept : nil
    }

    /// The identity of a stream of words, from parts such as (conversation, message).
    public func stream(_ parts: UInt64...) -> UInt64 {
        var h = seed ^ 0x6A09_E667_F3BC_C908
        for part in parts { h = Self.mix(h ^ (part &* 0x9E37_79B9_7F4A_7C15)) }
        return h
    }

    /// Word `index` of a stream.
    @inline(__always)
    public func word(_ stream: UInt64, _ index: Int) -> String {
        vocabulary[Int(Self.mix(stream &+ UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03) % UInt64(vocabulary.count))]
    }

    /// Appends words `start..<start + count` of a stream to `text`, separated from what is there by a space.
    public func append(_ stream: UInt64, from start: Int = 0, count: Int, to text: inout String) {
        guard count > 0 else { return }
        text.reserveCapacity(text.utf8.count + count * 6)
        for i in start..<(start + count) {
            if !text.isEmpty { text.append(" ") }
            text.append(word(stream, i))
        }
    }

    /// The first `count` words of a stream as one text.
    public func text(_ stream: UInt64, count: Int) -> String {
        var text = ""
        append(stream, count: count, to: &text)
        return text
    }

    /// A prefix-hash block of a trace: the first `length` words of block `id` in `scope` (a trace, or one conversation of a
    /// trace whose ids are local). Equal ids give equal words; a partial last block is a prefix of its full block.
    public func block(scope: UInt64, id: Int, length: Int) -> String { text(blockStream(scope: scope, id: id), count: length) }

    /// The word stream of block `id` of `scope`.
    public func blockStream(scope: UInt64, id: Int) -> UInt64 { stream(0xB10C, scope, UInt64(bitPattern: Int64(id))) }

    /// SplitMix64's finalizer.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
