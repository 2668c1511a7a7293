import Foundation
import TokenMeterCore

/// Where runs and predictions are kept: SQLite (embedded, the default) or PostgreSQL (for teams). Both implement the same
/// schema and migrations (`Schema`) and pass the same conformance tests.
public protocol RunStore: Sendable {
    /// A short description for messages (`SQLite at PATH`, `PostgreSQL at HOST:PORT/DB`), never with a password.
    var location: String { get }
    /// Creates or upgrades the schema; refuses a database written by a newer tokenmeter.
    func migrate() async throws
    /// Records a new run (status `running`) with its provenance and no points yet.
    func createRun(_ metadata: RunMetadata, result: RunResult) async throws
    /// Adds one measured point, its requests (the timeline) and the run's current warnings in one transaction.
    func savePoint(runID: String, point: PointResult, records: [RequestRecord], result: RunResult) async throws
    /// Sets the final status and warnings.
    func finishRun(id: String, status: RunStatus, result: RunResult) async throws
    /// Every run, newest first.
    func runs() async throws -> [RunSummary]
    /// One run with its points, or nil.
    func run(id: String) async throws -> StoredRun?
    /// The requests of one point, in order.
    func requests(runID: String, point: Int) async throws -> [RequestRecord]
    /// Deletes a run with its points and requests; false when there was none.
    func deleteRun(id: String) async throws -> Bool
    /// Saves a prediction.
    func savePrediction(_ prediction: PredictionRecord) async throws
    /// Every prediction, newest first.
    func predictions() async throws -> [PredictionRecord]
    /// Closes connections.
    func close() async
}

extension RunStore {
    /// The run whose id is `id` or starts with it; an error when none or several match.
    public func resolve(_ id: String) async throws -> StoredRun {
        if let exact = try await run(id: id) { return exact }
        let matches = try await runs().filter { $0.metadata.id.hasPrefix(id) }
        guard matches.count == 1, let match = try await run(id: matches[0].metadata.id) else {
            throw StoreError(matches.isEmpty
                ? "no run '\(id)' in \(location); tokenmeter runs list shows the ids"
                : "'\(id)' matches \(matches.count) runs (\(matches.prefix(3).map(\.metadata.id).joined(separator: ", "))…); give more of the id")
        }
        return match
    }
}

/// A store operation that failed, in words that say what to do.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    public var description: String { message }
    /// Creates an error.
    public init(_ message: String) { self.message = message }
}

extension RunStore {
    /// Keeps a finished run whole (an import, a merge, a recovery the store never saw): created, each point saved with the
    /// records `records` reads for it (one point's at a time), finished as partial or complete as the result says.
    public func keep(_ result: RunResult, as metadata: RunMetadata, records: (PointResult) throws -> [RequestRecord]) async throws {
        try await createRun(metadata, result: result)
        for point in result.points { try await savePoint(runID: metadata.id, point: point, records: try records(point), result: result) }
        try await finishRun(id: metadata.id, status: result.partial ? .partial : .complete, result: result)
    }
}
