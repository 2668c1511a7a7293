import Synchronization
import TokenMeterCore

/// Byte-pair encoding as the Hugging Face `tokenizers` BPE model does it: symbols from characters (with byte fallback or
/// unknown tokens), then repeatedly the lowest-ranked adjacent pair merged, leftmost first on ties.
final class BPEModel: Sendable {
    private let vocab: [TokenKey: Int]
    /// Ids of one-character tokens, the usual initial symbols.
    private let single: [UInt32: Int32]
    /// (left id, right id) → (rank, merged id), packed.
    private let merges: [UInt64: UInt64]
    private let unknown: Int32?
    private let fuseUnknown: Bool
    private let byteIDs: [Int32]?
    private let ignoreMerges: Bool
    private let prefix: String?
    private let suffix: String?
    private let cache = Mutex<[TokenKey: [Int32]]>([:])
    private static let cacheLimit = 100_000

    init(json: JSONValue) throws {
        guard case let .object(entries)? = json["vocab"] else {
            throw ConfigError(field: "tokenizer.model", message: "BPE model without a vocab object")
        }
        var vocab: [TokenKey: Int] = [:]
        vocab.reserveCapacity(entries.count)
        var single: [UInt32: Int32] = [:]
        for (token, value) in entries {
            guard let id = value.intValue, id >= 0, id < Int(Int32.max) else {
                throw ConfigError(field: "tokenizer.model.vocab", message: "token '\(token)' has no valid id")
            }
            vocab[TokenKey(token)] = id
            let scalars = token.unicodeScalars
            if scalars.count == 1, let s = scalars.first { single[s.value] = Int32(id) }
        }
        if let dropout = json["dropout"]?.doubleValue, dropout > 0 {
            throw ConfigError(field: "tokenizer.model.dropout", message: "BPE dropout \(dropout) makes encoding random; it is not supported")
        }
        prefix = json["continuing_subword_prefix"]?.stringValue
        suffix = json["end_of_word_suffix"]?.stringValue
        let merges = try Self.merges(json["merges"], vocab: vocab, prefixBytes: prefix?.utf8.count ?? 0)
        self.vocab = vocab
        self.single = single
        self.merges = merges
        if let name = json["unk_token"]?.stringValue {
            guard let id = vocab[TokenKey(name)] else {
                throw ConfigError(field: "tokenizer.model.unk_token", message: "unknown token '\(name)' is not in the vocab")
            }
            unknown = Int32(id)
        } else {
            unknown = nil
        }
        fuseUnknown = json["fuse_unk"]?.boolValue ?? false
        ignoreMerges = json["ignore_merges"]?.boolValue ?? false
        if json["byte_fallback"]?.boolValue ?? false {
            let ids = (0..<256).compactMap { vocab[TokenKey(ByteFallback.name($0))].map(Int32.init) }
            byteIDs = ids.count == 256 ? ids : nil
        } else {
            byteIDs = nil
        }
    }

    /// The merges, each `(left id, right id)` packed to its rank and the merged id; a merge naming or making a token missing
    /// from the vocab is an error.
    private static func merges(_ json: JSONValue?, vocab: [TokenKey: Int], prefixBytes: Int) throws -> [UInt64: UInt64] {
        guard case let .array(list)? = json else { return [:] }
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(list.count)
        for (rank, item) in list.enumerated() {
            let pair = try mergePair(item, rank: rank)
            guard let a = vocab[TokenKey(pair.0)], let b = vocab[TokenKey(pair.1)] else {
                throw ConfigError(field: "tokenizer.model.merges", message: "merge \(rank) names a token missing from the vocab")
            }
            let right = pair.1.utf8.count >= prefixBytes ? String(decoding: pair.1.utf8.dropFirst(prefixBytes), as: UTF8.self) : pair.1
            guard let merged = vocab[TokenKey(pair.0 + right)] else {
                throw ConfigError(field: "tokenizer.model.merges", message: "merge \(rank) makes a token missing from the vocab")
            }
            merges[key(Int32(a), Int32(b))] = UInt64(rank) << 32 | UInt64(merged)
        }
        return merges
    }

    /// One merge, written as `"a b"` or `["a", "b"]`.
    private static func mergePair(_ item: JSONValue, rank: Int) throws -> (String, String) {
        switch item {
        case let .string(line):
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw ConfigError(field: "tokenizer.model.merges", message: "merge \(rank) '\(line)' is not two tokens")
            }
            return (String(parts[0]), String(parts[1]))
        case let .array(parts) where parts.count == 2:
            guard let a = parts[0].stringValue, let b = parts[1].stringValue else { fallthrough }
            return (a, b)
        default:
            throw ConfigError(field: "tokenizer.model.merges", message: "merge \(rank) is not a pair of tokens")
        }
    }

    var vocabularySize: Int { vocab.count }

    private static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    /// Appends the ids of one pre-tokenized word.
    func tokenize(_ word: [Unicode.Scalar], into out: inout [Int]) {
        guard !word.isEmpty else { return }
        let text = TokenKey(String(scalars: word))
        if let hit = cache.withLock({ $0[text] }) {
            for id in hit { out.append(Int(id)) }
            return
        }
        var ids: [Int32]
        if ignoreMerges, let id = vocab[text] {
            ids = [Int32(id)]
        } else {
            ids = merge(initialSymbols(word))
        }
        cache.withLock {
            if $0.count >= Self.cacheLimit { $0.removeAll(keepingCapacity: true) }
            $0[text] = ids
        }
        for id in ids { out.append(Int(id)) }
    }

    private func initialSymbols(_ word: [Unicode.Scalar]) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var lastWasUnknown = false
        for (i, c) in word.enumerated() {
            var id: Int32?
            if prefix == nil, suffix == nil || i < word.count - 1 {
                id = single[c.value]
            } else {
                var s = String(c)
                if i > 0, let prefix { s = prefix + s }
                if i == word.count - 1, let suffix { s += suffix }
                id = vocab[TokenKey(s)].map(Int32.init)
            }
            if let id {
                symbols.append(id)
                lastWasUnknown = false
            } else if let byteIDs {
                for b in String(c).utf8 { symbols.append(byteIDs[Int(b)]) }
                lastWasUnknown = false
            } else if let unknown {
                if !(fuseUnknown && lastWasUnknown) { symbols.append(unknown) }
                lastWasUnknown = true
            }
        }
        return symbols
    }

    /// Merges by rank with a priority queue, skipping entries made stale by earlier merges (as `Word::merge_all` does).
    private func merge(_ initial: [Int32]) -> [Int32] {
        let n = initial.count
        guard n > 1 else { return initial }
        var ids = initial
        var prev = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = Int32(i - 1) }
            count = n
        }
        var next = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = i + 1 < n ? Int32(i + 1) : -1 }
            count = n
        }
        var alive = [Bool](repeating: true, count: n)
        var heap = MergeHeap()
        for i in 0..<(n - 1) {
            if let m = merges[Self.key(ids[i], ids[i + 1])] { heap.push(rank: UInt32(m >> 32), position: Int32(i)) }
        }
        while let top = heap.pop() {
            let p = Int(top.position)
            guard alive[p], next[p] >= 0 else { continue }
            let q = Int(next[p])
            guard let m = merges[Self.key(ids[p], ids[q])], UInt32(m >> 32) == top.rank else { continue }
            ids[p] = Int32(truncatingIfNeeded: m & 0xFFFF_FFFF)
            alive[q] = false
            next[p] = next[q]
            if next[q] >= 0 { prev[Int(next[q])] = Int32(p) }
            if prev[p] >= 0, let left = merges[Self.key(ids[Int(prev[p])], ids[p])] {
                heap.push(rank: UInt32(left >> 32), position: prev[p])
            }
            if next[p] >= 0, let right = merges[Self.key(ids[p], ids[Int(next[p])])] {
                heap.push(rank: UInt32(right >> 32), position: Int32(p))
            }
        }
        var out: [Int32] = []
        var i = 0
        while i >= 0, i < n {
            out.append(ids[i])
            i = Int(next[i])
        }
        return out
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
struct MergeHeap {
    private var items: [UInt64] = []

    mutating func push(rank: UInt32, position: Int32) {
        items.append(UInt64(rank) << 32 | UInt64(UInt32(bitPattern: position)))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (rank: UInt32, position: Int32)? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, items[l] < items[m] { m = l }
                if r < items.count, items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return (UInt32(first >> 32), Int32(bitPattern: UInt32(first & 0xFFFF_FFFF)))
    }
}

/// SentencePiece's byte tokens `<0x00>`…`<0xFF>`.
enum ByteFallback {
    static func name(_ byte: Int) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }
}
