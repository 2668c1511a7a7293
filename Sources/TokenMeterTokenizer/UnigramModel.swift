import TokenMeterCore

/// SentencePiece's Unigram model as the Hugging Face `tokenizers` library runs it: the Viterbi path over every vocabulary
/// piece that matches, an unknown piece (min score − 10) where no one-character piece does, fused unknown runs, and byte
/// fallback for them.
final class UnigramModel: Sendable {
    private let pieces: [String]
    private let scores: [Double]
    private let index: [TokenKey: Int]
    private let unknownID: Int
    private let unknownScore: Double
    private let byteIDs: [Int]?
    /// Trie over scalars: (node << 21 | scalar) → child node.
    private let children: [UInt64: Int32]
    /// Piece id ending at each node, or −1.
    private let terminal: [Int32]

    init(json: JSONValue) throws {
        guard case let .array(entries)? = json["vocab"] else {
            throw ConfigError(field: "tokenizer.model", message: "Unigram model without a vocab list")
        }
        var pieces: [String] = []
        var scores: [Double] = []
        var index: [TokenKey: Int] = [:]
        var children: [UInt64: Int32] = [:]
        var terminal: [Int32] = [-1]
        for (id, entry) in entries.enumerated() {
            guard let piece = entry[0]?.stringValue, let score = entry[1]?.doubleValue else {
                throw ConfigError(field: "tokenizer.model.vocab", message: "entry \(id) is not [piece, score]")
            }
            pieces.append(piece)
            scores.append(score)
            index[TokenKey(piece)] = id  // a repeated piece: the last id wins, as in the reference
            var node: Int32 = 0
            for c in piece.unicodeScalars {
                let key = UInt64(node) << 21 | UInt64(c.value)
                if let child = children[key] {
                    node = child
                } else {
                    terminal.append(-1)
                    let child = Int32(terminal.count - 1)
                    children[key] = child
                    node = child
                }
            }
            if node != 0 { terminal[Int(node)] = Int32(id) }
        }
        guard !pieces.isEmpty else { throw ConfigError(field: "tokenizer.model.vocab", message: "Unigram vocab is empty") }
        let unk = json["unk_id"]?.intValue ?? 0
        guard pieces.indices.contains(unk) else {
            throw ConfigError(field: "tokenizer.model.unk_id", message: "unk_id \(unk) is outside the vocab")
        }
        self.pieces = pieces
        self.scores = scores
        self.index = index
        self.children = children
        self.terminal = terminal
        unknownID = unk
        unknownScore = (scores.min() ?? 0) - 10
        if json["byte_fallback"]?.boolValue ?? false {
            let ids = (0..<256).compactMap { index[TokenKey(ByteFallback.name($0))] }
            byteIDs = ids.count == 256 ? ids : nil
        } else {
            byteIDs = nil
        }
    }

    var vocabularySize: Int { pieces.count }

    /// Appends the ids of one pre-tokenized word.
    func tokenize(_ word: [Unicode.Scalar], into out: inout [Int]) {
        guard !word.isEmpty else { return }
        for (range, id) in bestSpans(word) {
            guard id == unknownID else {
                out.append(id)
                continue
            }
            let text = String(scalars: word[range])
            if let known = index[TokenKey(text)] {
                out.append(known)
            } else if let byteIDs {
                for b in text.utf8 { out.append(byteIDs[Int(b)]) }
            } else {
                out.append(unknownID)
            }
        }
    }

    /// The most probable segmentation (Viterbi over the pieces' log-probabilities), in order, as the span of each piece and
    /// its id; a character no piece starts with is the unknown piece, and unknown runs are fused into one.
    private func bestSpans(_ word: [Unicode.Scalar]) -> [(Range<Int>, Int)] {
        let n = word.count
        var best = [Double](repeating: -.infinity, count: n + 1)
        var from = [Int](repeating: -1, count: n + 1)
        var via = [Int](repeating: -1, count: n + 1)
        best[0] = 0
        func offer(_ end: Int, _ start: Int, _ id: Int, _ score: Double) {
            if from[end] < 0 || score > best[end] {
                best[end] = score
                from[end] = start
                via[end] = id
            }
        }
        for start in 0..<n {
            let base = best[start]
            var node: Int32 = 0
            var single = false
            var j = start
            while j < n, let child = children[UInt64(node) << 21 | UInt64(word[j].value)] {
                node = child
                j += 1
                let id = Int(terminal[Int(node)])
                guard id >= 0 else { continue }
                offer(j, start, id, scores[id] + base)
                if j == start + 1 { single = true }
            }
            if !single { offer(start + 1, start, unknownID, unknownScore + base) }
        }
        // Back from the end; unknown runs are fused into one piece.
        var spans: [(Range<Int>, Int)] = []
        var end = n
        while end > 0 {
            let start = from[end]
            let id = via[end]
            if id == unknownID, let last = spans.last, last.1 == unknownID {
                spans[spans.count - 1] = (start..<last.0.upperBound, id)
            } else {
                spans.append((start..<end, id))
            }
            end = start
        }
        return spans.reversed()
    }
}

/// BERT's WordPiece: greedy longest match, `##` on continuations, the whole word unknown when any part is.
final class WordPieceModel: Sendable {
    private let vocab: [TokenKey: Int]
    private let unknownID: Int
    private let prefix: String
    private let maxCharacters: Int

    init(json: JSONValue) throws {
        guard case let .object(entries)? = json["vocab"] else {
            throw ConfigError(field: "tokenizer.model", message: "WordPiece model without a vocab object")
        }
        var vocab: [TokenKey: Int] = [:]
        for (token, value) in entries {
            guard let id = value.intValue else { throw ConfigError(field: "tokenizer.model.vocab", message: "token '\(token)' has no id") }
            vocab[TokenKey(token)] = id
        }
        let unk = json["unk_token"]?.stringValue ?? "[UNK]"
        guard let unknownID = vocab[TokenKey(unk)] else {
            throw ConfigError(field: "tokenizer.model.unk_token", message: "unknown token '\(unk)' is not in the vocab")
        }
        self.vocab = vocab
        self.unknownID = unknownID
        prefix = json["continuing_subword_prefix"]?.stringValue ?? "##"
        maxCharacters = json["max_input_chars_per_word"]?.intValue ?? 100
    }

    var vocabularySize: Int { vocab.count }

    func tokenize(_ word: [Unicode.Scalar], into out: inout [Int]) {
        guard !word.isEmpty else { return }
        guard word.count <= maxCharacters else {
            out.append(unknownID)
            return
        }
        var ids: [Int] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int?
            while start < end {
                var piece = String(scalars: word[start..<end])
                if start > 0 { piece = prefix + piece }
                if let id = vocab[TokenKey(piece)] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                out.append(unknownID)
                return
            }
            ids.append(found)
            start = end
        }
        out.append(contentsOf: ids)
    }
}
