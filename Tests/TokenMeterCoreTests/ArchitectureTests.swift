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
        let package = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        // Each `module("Name", [...])` declaration up to the next one.
        let parts = package.components(separatedBy: "module(\"").dropFirst()
        #expect(parts.count >= 15, "Package.swift's module(...) declarations did not parse")
        for part in parts {
            guard let name = part.split(separator: "\"").first.map(String.init), let from = layers[name] else { continue }
            let declaration = part.components(separatedBy: "\n        //").first ?? part
            for (dependency, to) in layers where dependency != name && declaration.contains("\"\(dependency)\"") {
                #expect(to < from, "Package.swift: \(name) (layer \(from)) depends on \(dependency) (layer \(to))")
            }
        }
    }
}
