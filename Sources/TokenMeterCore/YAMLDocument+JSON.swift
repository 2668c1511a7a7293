import Foundation
import Yams

extension YAMLDocument {
    /// Every document of a YAML stream (`---` between documents) as JSON values, keys in the order written. JSON text is
    /// YAML too, so a JSON file reads as one document. Mapping keys must be plain scalars; an alias is an error.
    public static func jsonDocuments(_ text: String, source: String, rootField: String = "import") throws(ConfigError) -> [JSONValue] {
        do {
            var out: [JSONValue] = []
            for node in try compose_all(yaml: text) { out.append(try json(node, path: rootField, source: source)) }
            return out
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(field: rootField, message: "\(source) is not valid YAML or JSON: \(error)")
        }
    }

    static func json(_ node: Node, path: String, source: String) throws(ConfigError) -> JSONValue {
        switch node {
        case let .mapping(mapping):
            var out: [(String, JSONValue)] = []
            for (key, child) in mapping {
                guard case .scalar = key, let name = key.string else {
                    throw ConfigError(field: path, message: "\(source) uses a list or mapping as a key; keys must be plain text")
                }
                out.append((name, try json(child, path: name, source: source)))
            }
            return .object(out)
        case let .sequence(sequence):
            var out: [JSONValue] = []
            for child in sequence { out.append(try json(child, path: path, source: source)) }
            return .array(out)
        case .scalar:
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map { .bool($0) } ?? .string(node.string ?? "")
            case .int: return node.int.map { .number(Double($0)) } ?? .string(node.string ?? "")
            case .float: return node.float.map { .number($0) } ?? .string(node.string ?? "")
            default: return .string(node.string ?? "")
            }
        case .alias:
            throw ConfigError(field: path, message: "\(source) has an unresolved alias")
        }
    }
}
