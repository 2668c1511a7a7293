import Foundation
import TokenMeterCore

/// One prompt read from a dataset file.
public struct DatasetEntry: Sendable {
    /// The prompt.
    public var prompt: PromptContent
    /// Output length the line asked for, if any.
    public var outputTokens: Int?
}

/// Reads JSONL datasets: `{"prompt": …}`, `{"text": …}`, `{"messages": [...]}` or ShareGPT `{"conversations": [...]}`.
public enum DatasetReader {
    /// Reads every usable line; a line that is not JSON or has no prompt is an error naming the line.
    public static func read(path: String) throws -> [DatasetEntry] {
        guard let data = FileContents.read(path) else {
            throw ConfigError(field: "dataset", message: "cannot read '\(path)'; check the path and permissions")
        }
        var entries: [DatasetEntry] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let text = String(decoding: line, as: UTF8.self).trimmingWhitespace
            if text.isEmpty { continue }
            let json: JSONValue
            do { json = try JSONValue.parse(text) } catch {
                throw ConfigError(field: "dataset", message: "\(path):\(lineNumber): \(error)")
            }
            guard let entry = entry(json) else {
                throw ConfigError(field: "dataset", message: "\(path):\(lineNumber): no prompt, text, messages or conversations field")
            }
            entries.append(entry)
        }
        guard !entries.isEmpty else { throw ConfigError(field: "dataset", message: "'\(path)' holds no prompts") }
        return entries
    }

    static func entry(_ json: JSONValue) -> DatasetEntry? {
        let output = json["output_tokens"]?.intValue ?? json["max_tokens"]?.intValue ?? json["output_len"]?.intValue
        if let prompt = json["prompt"]?.stringValue ?? json["text"]?.stringValue {
            return DatasetEntry(prompt: .text(prompt), outputTokens: output)
        }
        if case let .array(messages)? = json["messages"], !messages.isEmpty {
            return DatasetEntry(prompt: .messages(messages), outputTokens: output)
        }
        if case let .array(turns)? = json["conversations"] {
            let human = turns.first { ["human", "user"].contains($0["from"]?.stringValue ?? $0["role"]?.stringValue ?? "") }
            guard let prompt = human?["value"]?.stringValue ?? human?["content"]?.stringValue else { return nil }
            let reply = turns.first { ["gpt", "assistant"].contains($0["from"]?.stringValue ?? $0["role"]?.stringValue ?? "") }
            let replyText = reply?["value"]?.stringValue ?? reply?["content"]?.stringValue
            return DatasetEntry(prompt: .text(prompt), outputTokens: output ?? replyText.map(WorkloadGenerator.approximateTokens))
        }
        return nil
    }
}
