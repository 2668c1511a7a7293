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
        subcommands: [List.self, Show.self, Compare.self, Export.self, Import.self, Delete.self, RecoverCommand.self]
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
            if let source = p.imported {
                print("measured by \(source.summary)")
                for m in source.mapping { print("  \(m.tokenmeter) ← \(m.tool)" + (m.note.map { " (\($0))" } ?? "")) }
                print("  not provided: \(source.notProvided.joined(separator: ", "))")
            }
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
}
