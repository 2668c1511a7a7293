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
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (runs, predictions, location) = try await RunsCommand.withStore { store in
                (try await store.runs(), try await store.predictions(), store.location)
            }
            if output.json {
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
        @OptionGroup var runID: RunIDArgument
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let run = try await RunsCommand.withStore { try await $0.resolve(runID.id) }
            if output.json {
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
        @OptionGroup var runID: RunIDArgument

        func run() async throws {
            let (deleted, location) = try await RunsCommand.withStore { store in
                let run = try await store.resolve(runID.id)
                _ = try await store.deleteRun(id: run.metadata.id)
                return (run.metadata.id, store.location)
            }
            print("deleted run \(deleted) from \(location)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Export a run as JSON (its result), CSV (a row per point) or InferenceX aggregate records.")
        @OptionGroup var runID: RunIDArgument
        @Option(name: .customLong("format"), help: "json, csv or inferencex.") var exportFormat = Exporter.Format.json
        @OptionGroup var file: OutputFileOption
        @OptionGroup var precision: PrecisionOption
        @OptionGroup var layout: LayoutOptions
        @Option(help: "Whether attention is data-parallel (true or false), for InferenceX records.") var dpAttention: Bool?

        func run() async throws {
            let run = try await RunsCommand.withStore { try await $0.resolve(runID.id) }
            let facts = DeploymentFacts(hardware: run.metadata.hardware, framework: run.metadata.engine, precision: precision.precision,
                                        tensorParallel: layout.tp, expertParallel: layout.ep, attentionDataParallel: dpAttention)
            let text = try Exporter.export(run.result, format: exportFormat, facts: facts)
            if let output = file.output {
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
        @Option(name: .customLong("format"), help: "inferencex, aiperf or vllm.") var importFormat: Importer.Format
        @OptionGroup var model: ModelOption
        @OptionGroup var gpus: GPUCountOption
        @OptionGroup var gpu: GPUOption
        @OptionGroup var engine: EngineOption
        @OptionGroup var label: LabelOption

        func run() async throws {
            let format = importFormat
            guard !files.isEmpty else { throw ConfigError(field: "files", message: "name at least one file to import") }
            let imported = try Importer.load(paths: files, format: format, model: model.model, gpus: format == .inferencex ? 1 : try gpus.count())
            let metadata = RunMetadata(hardware: gpu.gpu ?? imported.hardware, engine: engine.engine ?? imported.engine,
                                       label: label.label ?? "imported from \(format.rawValue)")
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
        @OptionGroup var runs: RunIDsArgument
        @OptionGroup var pricing: PricingOptions
        @OptionGroup var gpu: GPUOption
        @OptionGroup var interactivity: InteractivityOption
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let ids = runs.ids
            guard ids.count >= 2 else { throw ConfigError(field: "ids", message: "compare needs at least two run or prediction ids") }
            let entries = try await RunsCommand.withStore { store in try await RunComparison.load(ids, store: store) }
            let pricer = try Pricer(try pricing.policy(fallbackGPU: gpu.gpu))
            let comparison = RunComparison(entries: entries, pricer: pricer, interactivity: try interactivity.value())
            print(output.json ? comparison.json.serialized : comparison.text)
        }
    }
}
