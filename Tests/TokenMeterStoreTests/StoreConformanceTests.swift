import Foundation
import GRDB
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterResults
import TokenMeterStore
import TokenMeterTarget
import TokenMeterTestSupport

/// The two stores.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A fresh, empty store of a kind: a new SQLite file, or a new database on the test PostgreSQL server.
func freshStore(_ kind: StoreKind) async throws -> any RunStore {
    switch kind {
    case .sqlite:
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tm-store-\(UUID().uuidString)/runs.sqlite").path
        return try await SQLiteRunStore(path: path)
    case .postgres:
        return try await PostgresRunStore(url: try await TestPostgres.freshDatabase())
    }
}

/// One suite, both stores: every behaviour the CLI and the dashboard rely on.
@Suite struct StoreConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func storesRunsPointsAndTimelinesAndDeletesThem(_ kind: StoreKind) async throws {
        let store = try await freshStore(kind)
        let meta = RunMetadata(hardware: "h200", engine: "vllm", engineVersion: "0.11.0", costProfile: "h200-hyperscaler", label: "first")
        var result = emptyResult()
        try await store.createRun(meta, result: result)
        var listed = try await store.runs()
        #expect(listed.count == 1 && listed[0].status == .running && listed[0].points == 0)
        for index in 0..<2 {
            let (point, records) = try await measuredPoint(index: index)
            result.points.append(point)
            result.warnings.append("note \(index)")
            try await store.savePoint(runID: meta.id, point: point, records: records, result: result)
            let stored = try await store.requests(runID: meta.id, point: index)
            #expect(stored == records)
        }
        try await store.finishRun(id: meta.id, status: .complete, result: result)
        let loaded = try #require(try await store.run(id: meta.id))
        #expect(loaded.metadata == meta)
        #expect(loaded.status == .complete)
        #expect(loaded.result == result)
        listed = try await store.runs()
        #expect(listed.count == 1 && listed[0].points == 2 && listed[0].model == "m" && listed[0].gpus == 8)
        // Prefix lookup, and refusal of an unknown id in words.
        #expect(try await store.resolve(String(meta.id.prefix(meta.id.count - 2))).metadata.id == meta.id)
        await #expect(throws: StoreError.self) { try await store.resolve("r-nope") }
        // Delete cascades to points and requests.
        #expect(try await store.deleteRun(id: meta.id))
        #expect(try await store.run(id: meta.id) == nil)
        #expect(try await store.requests(runID: meta.id, point: 0).isEmpty)
        #expect(try await !store.deleteRun(id: meta.id))
        await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func partialRunsKeepWhatWasMeasuredAndListNewestFirst(_ kind: StoreKind) async throws {
        let store = try await freshStore(kind)
        let older = RunMetadata(id: "r-20261201-000000-0001", createdAt: "2026-12-01T00:00:00Z")
        let newer = RunMetadata(id: "r-20261202-000000-0002", createdAt: "2026-12-02T00:00:00Z")
        var result = emptyResult()
        try await store.createRun(older, result: result)
        try await store.createRun(newer, result: result)
        let (point, records) = try await measuredPoint(index: 0)
        result.points = [point]
        result.partial = true
        try await store.savePoint(runID: newer.id, point: point, records: records, result: result)
        try await store.finishRun(id: newer.id, status: .partial, result: result)
        #expect(try await store.runs().map(\.metadata.id) == [newer.id, older.id])
        let partial = try #require(try await store.run(id: newer.id))
        #expect(partial.status == .partial && partial.result.partial && partial.result.points.count == 1)
        // The same run id twice is refused, not merged.
        await #expect(throws: StoreError.self) { try await store.createRun(newer, result: result) }
        await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func keepsPredictions(_ kind: StoreKind) async throws {
        let store = try await freshStore(kind)
        let prediction = PredictionRecord(model: "deepseek-r1", hardware: "gb200", gpus: 72, precision: "fp4", configuration: "disagg 1P+1D",
                                          provenance: "prior", points: [PredictedPoint(label: "c=64", concurrency: 64, ttftMilliseconds: 300,
                                                                                       tpotMilliseconds: 20, outputPerGPU: 900, inputPerGPU: 7200)])
        try await store.savePrediction(prediction)
        #expect(try await store.predictions() == [prediction])
        await store.close()
    }

    /// Migrating again changes nothing; a database from a newer tokenmeter is refused with a clear error, not altered.
    @Test(arguments: StoreKind.allCases)
    func migrationsAreVersionedAndIdempotent(_ kind: StoreKind) async throws {
        let store = try await freshStore(kind)
        try await store.migrate()
        try await store.createRun(RunMetadata(), result: emptyResult())
        try await store.migrate()
        #expect(try await store.runs().count == 1)
        await store.close()
        #expect(Schema.current == 1)
    }

    /// A file written by a newer tokenmeter (schema version beyond ours) is refused in words and left as it was.
    @Test func aNewerSchemaIsRefusedNotAltered() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tm-store-\(UUID().uuidString)/runs.sqlite").path
        let store = try await SQLiteRunStore(path: path)
        await store.close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "INSERT INTO tokenmeter_schema (version, applied_at) VALUES (99, 'future')") }
        try queue.close()
        do {
            _ = try await SQLiteRunStore(path: path)
            Issue.record("a schema-99 store was opened")
        } catch let error as StoreError {
            #expect(error.message.contains("schema version 99, newer than this tokenmeter's 1"))
        }
        let again = try DatabaseQueue(path: path)
        #expect(try await again.read { db in try Int.fetchOne(db, sql: "SELECT MAX(version) FROM tokenmeter_schema") } == 99)
    }
}
