import Foundation
import Yams

/// Reads YAML into plain values (`[String: Any]`, `[Any]`, `String`, `Int`, `Double`, `Bool`, `NSNull`) without crashing.
///
/// `Yams.load` force-unwraps every mapping key as a string and traps on a sequence or mapping used as a key; this walks
/// the composed node tree instead and refuses such keys with an error that names where they are.
public enum YAMLDocument {
    /// The document's value, nil for an empty document; document-level errors name `rootField`.
    public static func load(_ text: String, source: String, rootField: String = "config") throws(ConfigError) -> Any? {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError(field: rootField, message: "\(source) is not valid YAML: \(error)")
        }
        return try node.map { n throws(ConfigError) in try value(n, path: rootField, source: source) }
    }

    static func value(_ node: Node, path: String, source: String) throws(ConfigError) -> Any {
        switch node {
        case let .mapping(mapping):
            var out: [String: Any] = [:]
            for (key, child) in mapping {
                guard case .scalar = key, let name = key.string else {
                    throw ConfigError(field: path,
                                      message: "\(source) uses a list or mapping as a key; keys must be plain text")
                }
                out[name] = try value(child, path: name, source: source)
            }
            return out
        case let .sequence(sequence):
            var out: [Any] = []
            for child in sequence { out.append(try value(child, path: path, source: source)) }
            return out
        case .scalar:
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
