import Foundation
import Testing

/// The layer map of docs/architecture.md holds for the tree: every `import` of a module in Sources/, and every
/// `module(...)` dependency in Package.swift, points to a lower layer; third-party frameworks stay in their owners.
@Suite struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The rows of the Markdown table whose header starts with `header`, as cells.
    static func table(_ text: String, header: String) -> [[String]] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix(header) }) else { return [] }
        return lines[(start + 2)...].prefix { $0.hasPrefix("|") }.map { line in
            line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    static func map() throws -> (layers: [String: Int], owners: [String: Set<String>]) {
        let text = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        var layers: [String: Int] = [:]
        for row in table(text, header: "| layer | module |") where row.count >= 2 { layers[row[1]] = Int(row[0]) }
        var owners: [String: Set<String>] = [:]
        for row in table(text, header: "| framework | only in |") where row.count >= 2 {
            owners[row[0]] = Set(row[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        return (layers, owners)
    }

    /// (module, imported name, file) for every import line under Sources/.
    static func imports() throws -> [(module: String, imported: String, file: String)] {
        let sources = root.appendingPathComponent("Sources")
        var out: [(String, String, String)] = []
        for module in try FileManager.default.contentsOfDirectory(atPath: sources.path) {
            let folder = sources.appendingPathComponent(module)
            guard let files = FileManager.default.enumerator(atPath: folder.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ").filter { !$0.hasPrefix("@") }
                    let access = ["public", "package", "internal", "private", "fileprivate"]
                    let rest = words.first.map { access.contains(String($0)) } == true ? Array(words.dropFirst()) : words
                    guard rest.count >= 2, rest[0] == "import" else { continue }
                    out.append((module, String(rest[1]), "\(module)/\(file)"))
                }
            }
        }
        return out
    }

    @Test func everyModuleIsOnTheMap() throws {
        let (layers, _) = try Self.map()
        #expect(layers.count >= 16, "docs/architecture.md's layer table did not parse")
        let modules = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Sources").path)
        for module in modules { #expect(layers[module] != nil, "Sources/\(module) is not in docs/architecture.md's layer table") }
    }

    @Test func importsPointDownAndFrameworksStayWithTheirOwners() throws {
        let (layers, owners) = try Self.map()
        let found = try Self.imports()
        #expect(found.count > 100, "no import lines found under Sources/")
        for (module, imported, file) in found where imported != module {
            if let to = layers[imported], let from = layers[module] {
                #expect(to < from, "\(file) imports \(imported) (layer \(to)) from layer \(from): a module imports only lower layers")
            }
            if let allowed = owners[imported] {
                #expect(allowed.contains(module), "\(file) imports \(imported), which belongs to \(allowed.sorted().joined(separator: ", "))")
            }
        }
    }

    @Test func packageDependenciesPointDown() throws {
        let (layers, _) = try Self.map()
        let targets = try PackageTargets.read(Self.root.appendingPathComponent("Package.swift"))
        #expect(targets.count >= 30, "Package.swift's targets did not parse")
        for (name, dependencies) in targets {
            guard let from = layers[name] else { continue }
            for dependency in dependencies {
                if let to = layers[dependency] {
                    #expect(to < from, "Package.swift: \(name) (layer \(from)) depends on \(dependency) (layer \(to))")
                }
            }
        }
    }

    /// Every module a target imports is a dependency it declares (a clean build may build the two in any order otherwise).
    @Test func everyImportIsADeclaredDependency() throws {
        let targets = try PackageTargets.read(Self.root.appendingPathComponent("Package.swift"))
        let known = Set(targets.keys).union(targets.values.flatMap { $0 })
        for (name, dependencies) in targets {
            let folder = ["Sources/\(name)", "Tests/\(name)"].map { Self.root.appendingPathComponent($0) }
                .first { FileManager.default.fileExists(atPath: $0.path) }
            guard let folder, let files = FileManager.default.enumerator(atPath: folder.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                    guard let imported = line.split(separator: " ").last.map(String.init), known.contains(imported),
                          imported != name else { continue }
                    #expect(dependencies.contains(imported),
                            "\(name)/\(file) imports \(imported), which Package.swift does not list among \(name)'s dependencies")
                }
            }
        }
    }
}

/// The targets of Package.swift and the modules each depends on, read from its text: `module("X", [...])`,
/// `tests("X", [...])` (a test target, which also depends on X), `.target(name:)`, `.testTarget(name:)` and
/// `.executableTarget(name:)`, with the `let` lists of products it names expanded.
enum PackageTargets {
    static func read(_ url: URL) throws -> [String: Set<String>] {
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var variables: [String: Set<String>] = [:]
        var targets: [String: Set<String>] = [:]
        var current: String?
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("let "), trimmed.contains("Target.Dependency"),
               let name = trimmed.dropFirst(4).split(separator: ":").first.map(String.init) {
                let block = lines[index...].prefix { !$0.isEmpty }.joined(separator: "\n")
                variables[name] = products(in: block.components(separatedBy: "\nlet ").first ?? block)
                continue
            }
            if let name = declared(trimmed, next: index + 1 < lines.count ? lines[index + 1] : "") {
                current = name.target
                targets[name.target, default: []].formUnion(name.implied)
            }
            guard let target = current else { continue }
            targets[target, default: []].formUnion(quotedModules(in: trimmed).subtracting([target]))
            targets[target, default: []].formUnion(products(in: trimmed))
            for (variable, names) in variables where trimmed.range(of: "\\b\(variable)\\b", options: .regularExpression) != nil {
                targets[target, default: []].formUnion(names)
            }
        }
        return targets
    }

    /// The target a line declares, and what it depends on by being that kind (a test target on its module).
    static func declared(_ line: String, next: String) -> (target: String, implied: Set<String>)? {
        func name(after marker: String, in text: String) -> String? {
            guard let range = text.range(of: marker) else { return nil }
            return text[range.upperBound...].split(separator: "\"").first.map(String.init)
        }
        if let module = name(after: "module(\"", in: line), !line.hasPrefix("func ") { return (module, []) }
        if let module = name(after: "tests(\"", in: line), !line.hasPrefix("func ") { return (module + "Tests", [module]) }
        guard [".target(", ".testTarget(", ".executableTarget("].contains(where: line.hasPrefix) else { return nil }
        return (name(after: "name: \"", in: line) ?? name(after: "name: \"", in: next)).map { ($0, []) }
    }

    /// `"TokenMeterX"` strings in a line.
    static func quotedModules(in line: String) -> Set<String> {
        let quoted = line.components(separatedBy: "\"").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        return Set(quoted.filter { $0.hasPrefix("TokenMeter") || $0 == "tokenmeter" })
    }

    /// Product names: `.product(name: "P"`.
    static func products(in text: String) -> Set<String> {
        Set(text.components(separatedBy: ".product(name: \"").dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) })
    }
}
