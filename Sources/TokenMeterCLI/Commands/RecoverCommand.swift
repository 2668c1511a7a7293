import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterResults
import TokenMeterStore

/// `tokenmeter runs recover DIR`: a run that was killed keeps what it measured. Its timeline holds every request that
/// completed before the kill (written as they complete); the points its result lacks are rebuilt from those requests,
/// marked partial, and the run is finished in the run store (the same run when the store kept it, else a new one).
struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Rebuild a killed run from its timeline into its result and the run store, marked partial."
    )

    @Argument(help: "The run's folder (with result.json and timeline.jsonl).") var directory: String

    func run() async throws {
        let folder = URL(fileURLWithPath: directory)
        var (result, recovered, records) = try Self.rebuild(folder)
        let stored = try await RunsCommand.withStore { store -> StoredRun? in
            guard let id = result.provenance.runID else { return nil }
            return try await store.run(id: id)
        }
        guard !recovered.isEmpty || stored == nil || stored?.status == .running else {
            print("\(directory): nothing to recover (every point of the run was finished and the store has it)")
            return
        }
        let kept = result
        let (id, location) = try await RunsCommand.withStore { store in try await Self.keep(kept, records: records, in: store) }
        // The result names the store's run, so recovering again finds it there.
        result.provenance.runID = id
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(result).write(to: folder.appendingPathComponent("result.json"), options: .atomic)
        let requests = recovered.map(\.records.count).reduce(0, +)
        print("recovered \(directory): \(result.points.count) points, \(recovered.count) rebuilt from \(requests) requests in the timeline; "
            + "kept as run \(id) (\(result.partial ? "partial" : "complete")) in \(location)")
    }

    /// The result with the points it lacked rebuilt from the timeline, those points with their requests, and every request of
    /// the timeline by point.
    static func rebuild(_ folder: URL) throws -> (RunResult, [(point: PointResult, records: [RequestRecord])], [Int: [RequestRecord]]) {
        var result = try RunResult.read(path: folder.appendingPathComponent("result.json").path)
        let points = try TimelineReader.read(path: folder.appendingPathComponent("timeline.jsonl").path)
        let kept = Set(result.points.map(\.index))
        var recovered: [(point: PointResult, records: [RequestRecord])] = []
        for p in points where !kept.contains(p.header.point) && !p.records.isEmpty {
            let window = p.complete ? p.header.window : Self.window(of: p.records, from: p.header.window.startNanoseconds)
            let metrics = PointMetrics.compute(records: p.records, window: window, gpus: p.header.gpus, objective: p.header.slo,
                                               offeredRequestsPerSecond: p.header.offeredRequestsPerSecond)
            let concurrency = p.header.label.hasPrefix("c=") ? Int(p.header.label.dropFirst(2)) : nil
            let point = PointResult(index: p.header.point, label: p.header.label, concurrency: concurrency, rate: p.header.offeredRequestsPerSecond,
                                    arrival: nil, maxConcurrency: nil, window: window, metrics: metrics, partial: !p.complete,
                                    stoppedBy: p.complete ? "measured; recovered from the timeline" : "the run was cut off (killed); recovered from the timeline",
                                    warnings: ["recovered from the timeline: \(p.records.count) requests that completed before the run stopped"])
            recovered.append((point, p.records))
            result.points.append(point)
        }
        result.points.sort { $0.index < $1.index }
        if !recovered.isEmpty {
            result.partial = true
            result.warnings.append("recovered by tokenmeter runs recover: \(recovered.count) point(s) rebuilt from the timeline")
        }
        return (result, recovered, Dictionary(points.map { ($0.header.point, $0.records) }, uniquingKeysWith: { a, b in a + b }))
    }

    /// A cut-off point's window: from its first measured send (or its start) to its last measured completion.
    static func window(of records: [RequestRecord], from start: UInt64) -> MeasurementWindow {
        let measured = records.filter { $0.phase == .measured }
        let first = measured.compactMap(\.sentNanoseconds).min() ?? start
        let last = measured.compactMap(\.completedNanoseconds).max() ?? first
        return MeasurementWindow(startNanoseconds: first, endNanoseconds: max(last, first))
    }

    /// Finishes the run in the store as partial: the same run when the store has it (its finished points are already
    /// there), else a new run with every point.
    static func keep(_ result: RunResult, records: [Int: [RequestRecord]], in store: any RunStore) async throws -> (String, String) {
        let status: RunStatus = result.partial ? .partial : .complete
        if let id = result.provenance.runID, let stored = try await store.run(id: id) {
            let kept = Set(stored.result.points.map(\.index))
            for point in result.points where !kept.contains(point.index) {
                try await store.savePoint(runID: id, point: point, records: records[point.index] ?? [], result: result)
            }
            try await store.finishRun(id: id, status: status, result: result)
            return (id, store.location)
        }
        // The store never had it (it was unreachable for the whole run, or this is another store): all of it, from the files.
        let metadata = RunMetadata(id: result.provenance.runID ?? RunMetadata.newID(), label: "recovered")
        try await store.keep(result, as: metadata) { records[$0.index] ?? [] }
        return (metadata.id, store.location)
    }

    /// Says, when a bench starts, that a run beside its folder was cut off and can be recovered.
    static func offer(besides directory: URL) {
        let parent = directory.deletingLastPathComponent()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for name in names.sorted().suffix(5) where name != directory.lastPathComponent {
            let folder = parent.appendingPathComponent(name)
            // The tail says whether to look; the timeline itself whether a point was cut off (an older timeline has no end lines).
            guard cutOff(folder), let (_, recovered, _) = try? rebuild(folder), recovered.contains(where: \.point.partial) else { continue }
            Terminal.error("note: the run in \(folder.path) was cut off; `tokenmeter runs recover \(folder.path)` keeps what it measured")
        }
    }

    /// Whether a run folder's timeline stops inside a point (its last line is not a point's end), read from its tail only.
    static func cutOff(_ folder: URL) -> Bool {
        let timeline = folder.appendingPathComponent("timeline.jsonl")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("result.json").path),
              let handle = try? FileHandle(forReadingFrom: timeline) else { return false }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        guard size > 0 else { return false }
        try? handle.seek(toOffset: size > 8192 ? size - 8192 : 0)
        let tail = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        guard let last = tail.split(separator: "\n").last else { return false }
        return !last.contains("\"type\":\"point-end\"") && !last.contains("\"type\":\"conversation\"")
    }
}
