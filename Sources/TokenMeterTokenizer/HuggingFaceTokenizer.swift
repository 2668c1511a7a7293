import Foundation
import TokenMeterCore

/// A Hugging Face `tokenizer.json`, encoded exactly as the reference `tokenizers` library does: added tokens, normalizer,
/// pre-tokenizer, model (BPE — byte-level or SentencePiece-style with byte fallback —, Unigram or WordPiece) and the
/// post-processor's special tokens.
public final class HuggingFaceTokenizer: Sendable, TokenCounter {
    enum Model: Sendable {
        case bpe(BPEModel)
        case unigram(UnigramModel)
        case wordPiece(WordPieceModel)
    }

    private let model: Model
    private let added: AddedTokens
    private let normalizer: TokenizerNormalizer?
    private let preTokenizer: PreTokenizer?
    private let postProcessor: PostProcessor
    /// `BPE`, `Unigram` or `WordPiece`.
    public let modelType: String
    /// Tokens in the model's vocabulary.
    public let vocabularySize: Int
    /// Whether `count` adds the post-processor's special tokens (a BOS, say), as a server does for a raw prompt.
    public let addsSpecialTokens: Bool

    /// Reads a tokenizer.json (or a folder holding one).
    public convenience init(contentsOf path: String, addSpecialTokens: Bool = true) throws {
        var file = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = (path as NSString).appendingPathComponent("tokenizer.json")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(field: "tokenizer", message: "cannot read '\(file)'")
        }
        try self.init(data: [UInt8](data), addSpecialTokens: addSpecialTokens, source: file)
    }

    /// Reads tokenizer.json bytes.
    public init(data: [UInt8], addSpecialTokens: Bool = true, source: String = "tokenizer.json") throws {
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch {
            throw ConfigError(field: "tokenizer", message: "'\(source)' is not JSON: \(error)")
        }
        guard let modelJSON = json["model"] else {
            throw ConfigError(field: "tokenizer", message: "'\(source)' has no model; is it a Hugging Face tokenizer.json?")
        }
        // Older files omit the model type; the vocab's shape tells.
        var type = modelJSON["type"]?.stringValue
        if type == nil {
            if case .array? = modelJSON["vocab"] { type = "Unigram" } else if modelJSON["merges"] != nil { type = "BPE" } else { type = "WordPiece" }
        }
        switch type {
        case "BPE":
            let m = try BPEModel(json: modelJSON)
            model = .bpe(m)
            vocabularySize = m.vocabularySize
        case "Unigram":
            let m = try UnigramModel(json: modelJSON)
            model = .unigram(m)
            vocabularySize = m.vocabularySize
        case "WordPiece":
            let m = try WordPieceModel(json: modelJSON)
            model = .wordPiece(m)
            vocabularySize = m.vocabularySize
        default:
            throw ConfigError(field: "tokenizer.model", message: "model type '\(type ?? "")' is not supported (BPE, Unigram, WordPiece are)")
        }
        modelType = type ?? ""
        added = try AddedTokens(json: json["added_tokens"])
        normalizer = try json["normalizer"].flatMap { $0.isNull ? nil : try TokenizerNormalizer(json: $0) }
        preTokenizer = try json["pre_tokenizer"].flatMap { $0.isNull ? nil : try PreTokenizer(json: $0) }
        postProcessor = try PostProcessor(json: json["post_processor"])
        addsSpecialTokens = addSpecialTokens
    }

    /// The token ids of `text`; with `addSpecialTokens`, the post-processor's tokens around them (a BOS, say).
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        var ids: [Int] = []
        let raw = Array(text.unicodeScalars)
        for (range, token) in added.raw.split(raw) {
            if let token {
                ids.append(token)
                continue
            }
            let original = String(scalars: raw[range])
            let (normalizedText, droppedStart) = normalizer?.normalize(original) ?? (original, false)
            let keepsStart = range.lowerBound == 0 && !droppedStart
            let normalized = Array(normalizedText.unicodeScalars)
            for (inner, token) in added.normalized.split(normalized) {
                if let token {
                    ids.append(token)
                    continue
                }
                guard !inner.isEmpty else { continue }
                let piece = TextPiece(scalars: Array(normalized[inner]), atStart: keepsStart && inner.lowerBound == 0)
                for word in preTokenizer?.apply([piece]) ?? [piece] where !word.scalars.isEmpty {
                    switch model {
                    case let .bpe(m): m.tokenize(word.scalars, into: &ids)
                    case let .unigram(m): m.tokenize(word.scalars, into: &ids)
                    case let .wordPiece(m): m.tokenize(word.scalars, into: &ids)
                    }
                }
            }
        }
        return addSpecialTokens ? postProcessor.apply(ids) : ids
    }

    /// Tokens in `text`, with the special tokens when the tokenizer was created to add them.
    public func count(_ text: String) async throws -> Int { count(text, addSpecialTokens: addsSpecialTokens) }

    /// Tokens in `text`.
    public func count(_ text: String, addSpecialTokens: Bool) -> Int { encode(text, addSpecialTokens: addSpecialTokens).count }
}
