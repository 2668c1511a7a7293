import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterCost
import TokenMeterReport
import TokenMeterResults
import TokenMeterStore

/// `tokenmeter runs`: the runs kept in the store.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, show, compare, export and delete the runs kept in the run store.",
        discussion: """
            The store is PostgreSQL when TOKENMETER_DATABASE_URL is set (postgres://user@host:5432/db), else the SQLite file at
            TOKENMETER_STORE, else ~/.local/share/tokenmeter/runs.sqlite. Ids may be shortened to any unique prefix.
            """,
        subcommands: [List.self, Show.self, Compare.self, Export.self, Import.self, Delete.self]
    )

    /// Opens the store for a command, turning a failure into one clear line.
    static func openStore() async throws -> any RunStore {
        do { return try await StoreLocation.open() } catch {
            throw ConfigError(field: "store", message: "cannot open the run store: \(error)")
        }
    }

    /// Runs `body` with the store open, closing it afterwards; store errors become one clear line (exit 2).
    static func withStore<T>(_ body: (any RunStore) async throws -> T) async throws -> T {
        let store = try await openStore()
        do {
            let value = try await body(store)
            await store.close()
            return value
        } catch let error as StoreError {
            await store.close()
            throw ConfigError(field: "run", message: error.message)
        } catch {
            await store.close()
            throw error
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored runs, newest first.")
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (runs, predictions, location) = try await RunsCommand.withStore { store in
                (try await store.runs(), try await store.predictions(), store.location)
            }
            if json {
                print(JSONValue.array(runs.map(\.json)).serialized)
                return
            }
            guard !runs.isEmpty || !predictions.isEmpty else {
                print("no runs in \(location) yet; tokenmeter bench saves every run here")
                return
            }
            var rows: [[String]] = [["id", "created", "status", "model", "hardware", "engine", "GPUs", "points", "target", "label"]]
            for r in runs {
                rows.append([r.metadata.id, r.metadata.createdAt, r.status == .running ? "running or killed" : r.status.rawValue, r.model,
                             r.metadata.hardware ?? "-", [r.metadata.engine, r.metadata.engineVersion].compactMap { $0 }.joined(separator: " "),
                             String(r.gpus), String(r.points), r.target, r.metadata.label ?? ""])
            }
            print("runs in \(location):")
            print(TerminalTable.align(rows))
            if !predictions.isEmpty {
                var rows: [[String]] = [["prediction", "created", "model", "hardware", "GPUs", "precision", "configuration", "efficiencies"]]
                for p in predictions {
                    rows.append([p.id, p.createdAt, p.model, p.hardware, String(p.gpus), p.precision, p.configuration, p.provenance])
                }
                print("")
                print(TerminalTable.align(rows))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one run: provenance, points and warnings.")
        @Argument(help: "Run id (or a unique prefix).") var id: String
        @Flag(help: "Print the run's result JSON.") var json = false

        func run() async throws {
            let run = try await RunsCommand.withStore { try await $0.resolve(id) }
            if json {
                print(try Exporter.export(run.result, format: .json, facts: DeploymentFacts()), terminator: "")
                return
            }
            let m = run.metadata, p = run.result.provenance
            print("run \(m.id) (\(run.status == .running ? "running, or its process was killed" : run.status.rawValue)), created \(m.createdAt)")
            print("\(p.model) @ \(p.targetURL) [\(p.targetKind)], \(p.gpus) GPU(s)" + (m.hardware.map { " \($0)" } ?? "")
                  + (m.engine.map { ", \($0)" + (m.engineVersion.map { " \($0)" } ?? "") } ?? "") + ", tokenmeter \(p.toolVersion)"
                  + (m.label.map { ", label '\($0)'" } ?? ""))
            print(TerminalTable.render(run.result))
            for w in run.result.warnings { print("warning: \(w)") }
            for point in run.result.points { for w in point.warnings { print("warning: \(point.label): \(w)") } }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a run with its points and requests.")
        @Argument(help: "Run id (or a unique prefix).") var id: String

        func run() async throws {
            let (deleted, location) = try await RunsCommand.withStore { store in
                let run = try await store.resolve(id)
                _ = try await store.deleteRun(id: run.metadata.id)
                return (run.metadata.id, store.location)
            }
            print("deleted run \(deleted) from \(location)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Export a run as JSON (its result), CSV (a row per point) or InferenceX aggregate records.")
        @Argument(help: "Run id (or a unique prefix).") var id: String
        @Option(help: "json, csv or inferencex.") var format: String = "json"
        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
        @Option(help: "Weight precision for InferenceX records.") var precision: String?
        @Option(help: "Tensor parallel degree for InferenceX records.") var tp: Int?
        @Option(help: "Expert parallel degree for InferenceX records.") var ep: Int?
        @Option(help: "Attention data parallel (true or false), for InferenceX records.") var dpAttention: Bool?

        func run() async throws {
            guard let format = Exporter.Format(rawValue: format) else {
                throw ConfigError(field: "format", message: "'\(format)' is not json, csv or inferencex")
            }
            let run = try await RunsCommand.withStore { try await $0.resolve(id) }
            let facts = DeploymentFacts(hardware: run.metadata.hardware, framework: run.metadata.engine, precision: precision, tensorParallel: tp,
                                        expertParallel: ep, attentionDataParallel: dpAttention)
            let text = try Exporter.export(run.result, format: format, facts: facts)
            if let output {
                do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                    throw ConfigError(field: "output", message: "cannot write \(output): \(error.localizedDescription)")
                }
                Terminal.error("wrote \(output)")
            } else {
                print(text, terminator: "")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Keep other tools' results as a run: InferenceX aggregate records, AIPerf profile_export_aiperf.json, vLLM bench serve JSON.",
            discussion: "Several AIPerf or vLLM files (one per concurrency or rate) become the points of one run.")
        @Argument(help: "Result files.") var files: [String]
        @Option(help: "inferencex, aiperf or vllm.") var format: String
        @Option(help: "Model name, when the files do not say.") var model: String?
        @Option(help: "GPUs behind the measured endpoint (AIPerf and vLLM report totals; InferenceX is per GPU already).") var gpus: Int = 1
        @Option(help: "GPU type (catalog id), when the files do not say.") var hardware: String?
        @Option(help: "Engine, when the files do not say.") var engine: String?
        @Option(help: "Free-text label.") var label: String?

        func run() async throws {
            guard let format = Importer.Format(rawValue: format) else {
                throw ConfigError(field: "format", message: "'\(format)' is not inferencex, aiperf or vllm")
            }
            guard !files.isEmpty else { throw ConfigError(field: "files", message: "name at least one file to import") }
            guard gpus >= 1 else { throw ConfigError(field: "gpus", message: "--gpus must be at least 1") }
            let imported = try Importer.load(paths: files, format: format, model: model, gpus: format == .inferencex ? 1 : gpus)
            let metadata = RunMetadata(hardware: hardware ?? imported.hardware, engine: engine ?? imported.engine,
                                       label: label ?? "imported from \(format.rawValue)")
            let (points, location) = try await RunsCommand.withStore { store in
                var partial = imported.result
                partial.points = []
                try await store.createRun(metadata, result: partial)
                for point in imported.result.points {
                    partial.points.append(point)
                    try await store.savePoint(runID: metadata.id, point: point, records: [], result: partial)
                }
                try await store.finishRun(id: metadata.id, status: .complete, result: imported.result)
                return (imported.result.points.count, store.location)
            }
            print("imported \(points) point\(points == 1 ? "" : "s") from \(format.rawValue) as run \(metadata.id) in \(location)")
        }
    }

    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compare",
            abstract: "Compare runs and predictions side by side: fronts, cost at an interactivity, the three-metric table, deltas.")
        @Argument(help: "Run ids (or unique prefixes) and prediction ids (p-…).") var ids: [String]
        @Option(help: "Price each run on its recorded hardware at this catalog tier: hyperscaler, neocloud or rental.") var tier: String = "hyperscaler"
        @Option(help: "Price every run with this cost profile instead.") var profile: String?
        @Option(help: "GPU to price runs that recorded none (catalog id).") var gpu: String?
        @Option(help: "Read each front at this interactivity (tok/s/user); default: each run's highest-throughput point.") var atInteractivity: Double?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard ids.count >= 2 else { throw ConfigError(field: "ids", message: "compare needs at least two run or prediction ids") }
            let entries = try await RunsCommand.withStore { store in try await RunComparison.load(ids, store: store) }
            let pricer = try Pricer(PricingPolicy(profilePath: profile, tier: tier, fallbackGPU: gpu))
            let comparison = RunComparison(entries: entries, pricer: pricer, interactivity: atInteractivity)
            print(json ? comparison.json.serialized : comparison.text)
        }
    }
}
