import Foundation
import TokenMeterCore
import Yams

extension ConversationProgram {
    /// The built-in workloads.
    public static let presets = ["chat", "agentic-coding", "deep-research", "rag"]

    /// A preset by name, or a workload file by path.
    public static func named(_ nameOrPath: String) throws(ConfigError) -> ConversationProgram {
        if presets.contains(nameOrPath) {
            guard let url = Bundle.module.url(forResource: nameOrPath, withExtension: "yaml", subdirectory: "workloads"),
                  let data = try? Data(contentsOf: url) else {
                throw ConfigError(field: "workload", message: "the built-in workload '\(nameOrPath)' is missing from this build")
            }
            return try load(yaml: String(decoding: data, as: UTF8.self), source: "preset \(nameOrPath)")
        }
        guard let data = FileContents.read(nameOrPath) else {
            let hint = nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml")
                ? "cannot read '\(nameOrPath)'; check the path" : "'\(nameOrPath)' is neither a preset (\(presets.joined(separator: ", "))) nor a file"
            throw ConfigError(field: "workload", message: hint)
        }
        return try load(yaml: String(decoding: data, as: UTF8.self), source: nameOrPath)
    }

    /// Reads a workload file; an error names the file, the line and the field.
    public static func load(yaml: String, source: String) throws(ConfigError) -> ConversationProgram {
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch {
            throw ConfigError(field: "workload", message: "\(source) is not valid YAML: \(error)")
        }
        guard let node else { throw ConfigError(field: "workload", message: "\(source) is empty") }
        let reader = ProgramReader(source: source)
        return try reader.program(node)
    }
}

/// Walks a workload file's YAML nodes, keeping the path and line of every value for its errors.
struct ProgramReader {
    let source: String

    func fail(_ path: String, _ node: Node?, _ message: String) -> ConfigError {
        let place = node?.mark.map { "\(source):\($0.line)" } ?? source
        return ConfigError(field: path, message: "\(place): \(message)")
    }

    func mapping(_ node: Node, _ path: String, known: [String]) throws(ConfigError) -> [String: Node] {
        guard case let .mapping(mapping) = node else { throw fail(path, node, "must be a mapping of fields") }
        var out: [String: Node] = [:]
        for (key, value) in mapping {
            guard case .scalar = key, let name = key.string else { throw fail(path, key, "keys must be plain text") }
            guard known.contains(name) else {
                throw fail(path.isEmpty ? name : "\(path).\(name)", key,
                           "unknown field" + (ConfigError.closest(name, in: known).map { "; did you mean '\($0)'?" } ?? ""))
            }
            out[name] = value
        }
        return out
    }

    func text(_ node: Node, _ path: String) throws(ConfigError) -> String {
        guard case .scalar = node, let s = node.string else { throw fail(path, node, "must be a value, not a list or mapping") }
        return s
    }

    func distribution(_ node: Node, _ path: String, unit: ValueDistribution.Unit) throws(ConfigError) -> ValueDistribution {
        let written = try text(node, path)
        do { return try ValueDistribution(parsing: written, unit: unit, field: path) } catch {
            throw fail(path, node, error.message)
        }
    }

    func integer(_ node: Node, _ path: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let written = try text(node, path)
        guard let n = Int(written), range.contains(n) else {
            throw fail(path, node, "'\(written)' must be a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return n
    }

    func program(_ node: Node) throws(ConfigError) -> ConversationProgram {
        let fields = try mapping(node, "", known: ["name", "kind", "description", "system", "context_limit", "steps"])
        let name = try fields["name"].map { n throws(ConfigError) in try text(n, "name") } ?? (source as NSString).lastPathComponent
        var kind = ConversationProgram.Kind.task
        if let k = fields["kind"] {
            guard let parsed = ConversationProgram.Kind(rawValue: try text(k, "kind")) else { throw fail("kind", k, "must be session or task") }
            kind = parsed
        }
        guard let stepsNode = fields["steps"] else { throw fail("steps", node, "a workload needs steps") }
        let program = ConversationProgram(
            name: name, kind: kind, summary: try fields["description"].map { n throws(ConfigError) in try text(n, "description") } ?? "",
            systemTokens: try fields["system"].map { n throws(ConfigError) in try integer(n, "system", 0...2_000_000) } ?? 0,
            contextLimit: try fields["context_limit"].map { n throws(ConfigError) in try integer(n, "context_limit", 16...100_000_000) },
            steps: try steps(stepsNode, "steps", depth: 0))
        guard program.callsTheModel else { throw fail("steps", stepsNode, "no step calls the model (add an llm step)") }
        return program
    }

    func steps(_ node: Node, _ path: String, depth: Int) throws(ConfigError) -> [ConversationStep] {
        guard depth < 8 else { throw fail(path, node, "steps nest more than 8 deep") }
        guard case let .sequence(sequence) = node, !sequence.isEmpty else { throw fail(path, node, "must be a non-empty list of steps") }
        var out: [ConversationStep] = []
        for (i, item) in sequence.enumerated() { out.append(try step(item, "\(path)[\(i)]", depth: depth)) }
        return out
    }

    func step(_ node: Node, _ path: String, depth: Int) throws(ConfigError) -> ConversationStep {
        let kinds = ["user", "llm", "tool", "think", "documents", "loop", "fanout"]
        let fields = try mapping(node, path, known: kinds)
        guard fields.count == 1, let (kind, value) = fields.first else {
            throw fail(path, node, "a step is one of \(kinds.joined(separator: ", ")), e.g. '- llm: lognormal:200,800'")
        }
        let here = "\(path).\(kind)"
        switch kind {
        case "user": return .user(tokens: try distribution(value, here, unit: .count))
        case "think": return .think(try distribution(value, here, unit: .seconds))
        case "llm":
            if case .mapping = value {
                let f = try mapping(value, here, known: ["output"])
                guard let output = f["output"] else { throw fail(here, value, "needs output") }
                return .llm(output: try distribution(output, "\(here).output", unit: .count))
            }
            return .llm(output: try distribution(value, here, unit: .count))
        case "tool":
            let f = try mapping(value, here, known: ["wait", "output"])
            guard let wait = f["wait"], let output = f["output"] else { throw fail(here, value, "needs wait and output") }
            return .tool(wait: try distribution(wait, "\(here).wait", unit: .seconds),
                         output: try distribution(output, "\(here).output", unit: .count))
        case "documents":
            let f = try mapping(value, here, known: ["pool", "tokens", "pick"])
            guard let pool = f["pool"], let tokens = f["tokens"] else { throw fail(here, value, "needs pool and tokens") }
            let size = try integer(pool, "\(here).pool", 1...1_000_000)
            let pick = try f["pick"].map { n throws(ConfigError) in try integer(n, "\(here).pick", 1...size) } ?? 1
            return .documents(pool: size, tokens: try distribution(tokens, "\(here).tokens", unit: .count), pick: pick)
        case "loop":
            let f = try mapping(value, here, known: ["count", "max", "steps"])
            guard let count = f["count"], let body = f["steps"] else { throw fail(here, value, "needs count and steps") }
            return .loop(count: try distribution(count, "\(here).count", unit: .count),
                         max: try f["max"].map { n throws(ConfigError) in try integer(n, "\(here).max", 1...100_000) } ?? 1000,
                         steps: try steps(body, "\(here).steps", depth: depth + 1))
        default:
            let f = try mapping(value, here, known: ["count", "steps"])
            guard let count = f["count"], let body = f["steps"] else { throw fail(here, value, "needs count and steps") }
            let branches = try distribution(count, "\(here).count", unit: .count)
            if case let .fixed(n) = branches, n > 256 { throw fail("\(here).count", count, "at most 256 parallel branches") }
            return .fanout(count: branches, steps: try steps(body, "\(here).steps", depth: depth + 1))
        }
    }
}
