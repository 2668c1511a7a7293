import Foundation
import Yams

/// Reads YAML into plain values (`[String: Any]`, `[Any]`, `String`, `Int`, `Double`, `Bool`, `NSNull`) without crashing.
///
/// `Yams.load` force-unwraps every mapping key as a string and traps on a sequence or mapping used as a key; this walks
/// the composed node tree instead and refuses such keys with an error that names where they are.
public enum YAMLDocument {
    /// The document's value, nil for an empty document; document-level errors name `rootField`.
    /// With `typed` false every scalar stays the text it was written as (`off` is the word, not YAML 1.1's false).
    public static func load(_ text: String, source: String, rootField: String = "config", typed: Bool = true) throws(ConfigError) -> Any? {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError(field: rootField, message: "\(source) is not valid YAML: \(error)")
        }
        return try node.map { n throws(ConfigError) in try value(n, path: rootField, source: source, typed: typed) }
    }

    static func value(_ node: Node, path: String, source: String, typed: Bool) throws(ConfigError) -> Any {
        switch node {
        case let .mapping(mapping):
            var out: [String: Any] = [:]
            for (key, child) in mapping {
                guard case .scalar = key, let name = key.string else {
                    throw ConfigError(field: path,
                                      message: "\(source) uses a list or mapping as a key; keys must be plain text")
                }
                out[name] = try value(child, path: name, source: source, typed: typed)
            }
            return out
        case let .sequence(sequence):
            var out: [Any] = []
            for child in sequence { out.append(try value(child, path: path, source: source, typed: typed)) }
            return out
        case .scalar:
            if !typed { return Tag.Name(rawValue: node.tag.rawValue) == .null ? NSNull() : node.string ?? "" }
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return NSNull()
            case .bool: return node.bool ?? node.string ?? ""
            case .int: return node.int ?? node.string ?? ""
            case .float: return node.float ?? node.string ?? ""
            default: return node.string ?? ""
            }
        case .alias:
            throw ConfigError(field: path, message: "\(source) has an unresolved alias")
        }
    }
}
