/// Counts tokens of a text with an exact tokenizer (the server's `/tokenize`, later a local one).
public protocol TokenCounter: Sendable {
    /// Token count of `text`.
    func count(_ text: String) async throws -> Int
}
