import Foundation
import TokenMeterCore

/// Checks a JSON document against a JSON Schema (the draft 2020-12 keywords the llm-d Benchmark Report schema uses: `type`,
/// `properties`, `required`, `additionalProperties`, `items`, `enum`, `const`, `minimum`, `exclusiveMinimum`, `pattern` as a
/// prefix, `$ref` to `#/$defs/…`, `allOf`, `anyOf`, `oneOf`). Each finding names the path in the document (`results.request_
/// performance.aggregate.latency.time_to_first_token.units`), so an export is validated in a test and an import of a newer
/// schema names exactly the fields it could not read.
public struct JSONSchemaCheck: Sendable {
    /// One finding.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        /// Where in the document.
        public var path: String
        /// What is wrong there.
        public var problem: String
        /// True when the field is one the schema does not have (the reader cannot read it), rather than a wrong value.
        public var unknownField: Bool
        public var description: String { "\(path.isEmpty ? "(document)" : path): \(problem)" }
    }

    let root: JSONValue

    /// A check against a schema document.
    public init(schema: JSONValue) { root = schema }

    /// The schema resource `name` (without `.json`) shipped with this module.
    public static func bundled(_ name: String) throws(ConfigError) -> JSONSchemaCheck {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json"), let data = try? Data(contentsOf: url),
              let schema = try? JSONValue.parse(Array(data)) else {
            throw ConfigError(field: "schema", message: "the bundled schema \(name).json is missing from this build")
        }
        return JSONSchemaCheck(schema: schema)
    }

    /// Every finding in `document`; empty when it is valid.
    public func findings(in document: JSONValue) -> [Finding] {
        var out: [Finding] = []
        check(document, against: root, path: "", into: &out)
        return out
    }

    func resolve(_ schema: JSONValue) -> JSONValue {
        guard let ref = schema["$ref"]?.stringValue, ref.hasPrefix("#/$defs/"), let target = root["$defs"]?[String(ref.dropFirst(8))] else { return schema }
        return resolve(target)
    }

    func check(_ value: JSONValue, against raw: JSONValue, path: String, into out: inout [Finding]) {
        let schema = resolve(raw)
        if case let .array(all)? = schema["allOf"] { for s in all { check(value, against: s, path: path, into: &out) } }
        if case let .array(any)? = schema["anyOf"], !any.contains(where: { matches(value, $0, path) }) {
            out.append(Finding(path: path, problem: "matches none of the allowed forms", unknownField: false))
        }
        if case let .array(one)? = schema["oneOf"] {
            let n = one.filter { matches(value, $0, path) }.count
            if n != 1 {
                // Report the findings of the closest form, so the message says what to change.
                let closest = one.map { s -> [Finding] in var f: [Finding] = []; check(value, against: s, path: path, into: &f); return f }
                    .min { $0.count < $1.count } ?? []
                out += n == 0 ? closest : [Finding(path: path, problem: "matches \(n) forms where exactly one is allowed", unknownField: false)]
            }
        }
        if let type = schema["type"], !Self.hasType(value, type) {
            out.append(Finding(path: path, problem: "is \(Self.typeName(value)), not \(type.stringValue ?? type.serialized)", unknownField: false))
            return
        }
        if let allowed = schema["const"], allowed != value {
            out.append(Finding(path: path, problem: "is \(value.serialized), not \(allowed.serialized)", unknownField: false))
        }
        if case let .array(allowed)? = schema["enum"], !allowed.contains(value) {
            out.append(Finding(path: path, problem: "is \(value.serialized), not one of \(allowed.map(\.serialized).joined(separator: ", "))",
                               unknownField: false))
        }
        if let n = value.doubleValue {
            if let min = schema["minimum"]?.doubleValue, n < min { out.append(Finding(path: path, problem: "is \(n), below \(min)", unknownField: false)) }
            if let min = schema["exclusiveMinimum"]?.doubleValue, n <= min {
                out.append(Finding(path: path, problem: "is \(n), not above \(min)", unknownField: false))
            }
        }
        if let s = value.stringValue, let prefix = schema["pattern"]?.stringValue, prefix.hasPrefix("^"), !s.hasPrefix(prefix.dropFirst()) {
            out.append(Finding(path: path, problem: "'\(s)' does not start with \(prefix.dropFirst())", unknownField: false))
        }
        if case let .array(items) = value, let itemSchema = schema["items"] {
            for (i, item) in items.enumerated() { check(item, against: itemSchema, path: "\(path)[\(i)]", into: &out) }
        }
        if case let .object(members) = value { checkObject(members, schema, path: path, into: &out) }
    }

    func checkObject(_ members: [(String, JSONValue)], _ schema: JSONValue, path: String, into out: inout [Finding]) {
        let properties = schema["properties"]
        for case let .string(name) in schema["required"]?.arrayValue ?? [] where !members.contains(where: { $0.0 == name }) {
            out.append(Finding(path: join(path, name), problem: "is required and missing", unknownField: false))
        }
        for (name, child) in members {
            if let sub = properties?[name] {
                check(child, against: sub, path: join(path, name), into: &out)
            } else if let extra = schema["additionalProperties"] {
                if extra == .bool(false) {
                    out.append(Finding(path: join(path, name), problem: "is not a field of this schema", unknownField: true))
                } else if case .object = extra {
                    check(child, against: extra, path: join(path, name), into: &out)
                }
            }
        }
    }

    func matches(_ value: JSONValue, _ schema: JSONValue, _ path: String) -> Bool {
        var f: [Finding] = []
        check(value, against: schema, path: path, into: &f)
        return f.isEmpty
    }

    func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    static func hasType(_ value: JSONValue, _ type: JSONValue) -> Bool {
        if case let .array(types) = type { return types.contains { hasType(value, $0) } }
        switch (type.stringValue, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number): return true
        case let ("integer", .number(n)): return n.rounded() == n && n.isFinite
        default: return false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}
