import ArgumentParser
import Foundation
import TokenMeterCore
import TokenMeterReport
import TokenMeterResults

extension RunsCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Export a run as JSON (its result), CSV (a row per point), InferenceX aggregate records or llm-d Benchmark Reports v0.2.")
        @OptionGroup var runID: RunIDArgument
        @Option(name: .customLong("format"), help: "json, csv, inferencex or llmd.") var exportFormat = Exporter.Format.json
        @Option(help: "With --format llmd: only this point (its index); otherwise one report per point, as a YAML stream.") var point: Int?
        @OptionGroup var file: OutputFileOption
        @OptionGroup var precision: PrecisionOption
        @OptionGroup var layout: LayoutOptions
        @Option(help: "Whether attention is data-parallel (true or false), for InferenceX records.") var dpAttention: Bool?

        func run() async throws {
            let run = try await RunsCommand.withStore { try await $0.resolve(runID.id) }
            let facts = DeploymentFacts(hardware: run.metadata.hardware, framework: run.metadata.engine, precision: precision.precision,
                                        tensorParallel: layout.tp, expertParallel: layout.ep, attentionDataParallel: dpAttention)
            var result = run.result
            result.provenance.runID = result.provenance.runID ?? run.metadata.id
            let text = try Exporter.export(result, format: exportFormat, facts: facts, point: point)
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
            abstract: "Keep other tools' results as a run: AIPerf, GuideLLM, inference-perf, vLLM bench serve, InferenceX, llm-d Benchmark Reports.",
            discussion: """
                Several files (one per concurrency, rate or stage) become the points of one run; a GuideLLM file gives a point per \
                benchmark, an llm-d YAML stream a point per report. Every file is read before anything is kept. docs/cli.md lists \
                each format's versions and how its metric names map onto tokenmeter's.
                """)
        @Argument(help: "Result files.") var files: [String]
        @Option(name: .customLong("format"), help: "aiperf, guidellm, inference-perf, vllm, inferencex, llmd or tokenmeter (a result.json).")
        var importFormat: Importer.Format
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
                                       label: label.label ?? "imported from \(imported.result.provenance.imported?.tool ?? format.rawValue)")
            let (points, location) = try await RunsCommand.withStore { store in
                try await store.keep(imported.result, as: metadata) { _ in [] }
                return (imported.result.points.count, store.location)
            }
            print("imported \(points) point\(points == 1 ? "" : "s") from \(format.rawValue) as run \(metadata.id) in \(location)")
        }
    }
}
