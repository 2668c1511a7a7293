import TokenMeterCore

/// Shared readers for tokenizer.json fields.
enum TokenizerJSON {
    /// A `{"String": s}` or `{"Regex": r}` pattern.
    static func pattern(_ json: JSONValue?, field: String) throws -> SplitPattern {
        if let literal = json?["String"]?.stringValue { return .literal(Array(literal.unicodeScalars)) }
        if let regex = json?["Regex"]?.stringValue {
            do { return try SplitPattern.compile(regex: regex) } catch {
                throw ConfigError(field: "tokenizer.\(field)", message: "regex \(regex) does not compile: \(error)")
            }
        }
        throw ConfigError(field: "tokenizer.\(field)", message: "pattern is neither {\"String\": …} nor {\"Regex\": …}")
    }
}
