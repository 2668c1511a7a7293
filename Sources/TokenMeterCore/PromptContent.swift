/// What a prompt is: plain text, or chat messages from a dataset.
public enum PromptContent: Sendable, Equatable {
    /// A text prompt.
    case text(String)
    /// Chat messages as JSON objects with `role` and `content`.
    case messages([JSONValue])

    /// The prompt as one text (messages joined by newlines), for the completions API and for counting.
    public var flattened: String {
        switch self {
        case let .text(t): t
        case let .messages(m): m.compactMap { $0["content"]?.stringValue }.joined(separator: "\n")
        }
    }
}
