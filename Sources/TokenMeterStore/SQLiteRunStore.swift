import Foundation
import GRDB
import TokenMeterCore
import TokenMeterResults

/// The embedded store: one SQLite file in WAL mode through GRDB's async API (never blocking the cooperative pool), every
/// write a transaction, so a killed process leaves the last committed point and a readable file.
public final class SQLiteRunStore: RunStore {
    private let pool: DatabasePool
    /// The file.
    public let path: String
    public var location: String { "SQLite at \(path)" }

    /// Opens (creating folders and the file as needed) and migrates.
    public init(path: String) async throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw StoreError("cannot create \(folder) for the run store: \(error.localizedDescription); set TOKENMETER_STORE to a writable path")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do { pool = try DatabasePool(path: path, configuration: configuration) } catch {
            throw StoreError("cannot open the run store \(path): \(error); set TOKENMETER_STORE to another file or remove this one")
        }
        try await migrate()
    }

    public func migrate() async throws {
        let location = self.location
        try await wrap("migrate") {
            try await self.pool.write { db in
                try db.execute(sql: Schema.versionTable)
                let version = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM tokenmeter_schema") ?? 0
                if version > Schema.current { throw Schema.tooNew(version, at: location) }
                for (index, statements) in Schema.migrations.enumerated() where index >= version {
                    for sql in statements { try db.execute(sql: sql) }
                    try db.execute(sql: "INSERT INTO tokenmeter_schema (version, applied_at) VALUES (?, ?)",
                                   arguments: [index + 1, ISO8601DateFormatter().string(from: Date())])
                }
            }
        }
    }

    public func createRun(_ m: RunMetadata, result: RunResult) async throws {
        let p = result.provenance
        let provenance = try StoreCodec.encode(p), config = try StoreCodec.encode(result.config), warnings = try StoreCodec.encode(result.warnings)
        try await wrap("save run \(m.id)") {
            try await self.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO runs (id, created_at, status, tool_version, target_url, target_kind, model, gpus, hardware, engine, engine_version,
                        cost_profile, label, result_schema, partial, provenance_json, config_json, warnings_json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [m.id, m.createdAt, RunStatus.running.rawValue, p.toolVersion, p.targetURL, p.targetKind, p.model, p.gpus,
                                     m.hardware, m.engine, m.engineVersion, m.costProfile, m.label, result.schema, result.partial ? 1 : 0,
                                     provenance, config, warnings])
            }
        }
    }

    public func savePoint(runID: String, point: PointResult, records: [RequestRecord], result: RunResult) async throws {
        let pointJSON = try StoreCodec.encode(point)
        let recordJSON = try records.map { try StoreCodec.encode($0) }
        let warnings = try StoreCodec.encode(result.warnings)
        try await wrap("save point \(point.index) of \(runID)") {
            try await self.pool.write { db in
                try db.execute(sql: "INSERT INTO points (run_id, idx, label, concurrency, rate, partial, point_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [runID, point.index, point.label, point.concurrency, point.rate, point.partial ? 1 : 0, pointJSON])
                let insert = try db.makeStatement(sql: "INSERT INTO requests (run_id, point_idx, seq, record_json) VALUES (?, ?, ?, ?)")
                for (seq, json) in recordJSON.enumerated() {
                    try insert.execute(arguments: [runID, point.index, seq, json])
                }
                try db.execute(sql: "UPDATE runs SET partial = ?, warnings_json = ? WHERE id = ?", arguments: [result.partial ? 1 : 0, warnings, runID])
            }
        }
    }

    public func finishRun(id: String, status: RunStatus, result: RunResult) async throws {
        let warnings = try StoreCodec.encode(result.warnings)
        try await wrap("finish run \(id)") {
            try await self.pool.write { db in
                try db.execute(sql: "UPDATE runs SET status = ?, partial = ?, warnings_json = ? WHERE id = ?",
                               arguments: [status.rawValue, result.partial ? 1 : 0, warnings, id])
            }
        }
    }

    public func runs() async throws -> [RunSummary] {
        try await wrap("list runs") {
            try await self.pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT r.*, (SELECT COUNT(*) FROM points p WHERE p.run_id = r.id) AS point_count FROM runs r ORDER BY created_at DESC, id DESC
                    """).map { row in
                    RunSummary(metadata: Self.metadata(row), status: RunStatus(rawValue: row["status"]) ?? .running, target: row["target_url"],
                               model: row["model"], gpus: row["gpus"], toolVersion: row["tool_version"], points: row["point_count"])
                }
            }
        }
    }

    public func run(id: String) async throws -> StoredRun? {
        let fetched: (StoreCodec.RunRow, [String])? = try await wrap("read run \(id)") {
            try await self.pool.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) else { return nil }
                let points = try String.fetchAll(db, sql: "SELECT point_json FROM points WHERE run_id = ? ORDER BY idx", arguments: [id])
                return (StoreCodec.RunRow(metadata: Self.metadata(row), status: row["status"], schema: row["result_schema"],
                                          provenanceJSON: row["provenance_json"], configJSON: row["config_json"],
                                          warningsJSON: row["warnings_json"], partial: (row["partial"] as Int) != 0), points)
            }
        }
        guard let (row, points) = fetched else { return nil }
        return try row.stored(points: points.map { try StoreCodec.decode(PointResult.self, $0, what: "point of \(id)") })
    }

    public func requests(runID: String, point: Int) async throws -> [RequestRecord] {
        let texts = try await wrap("read requests of \(runID)") {
            try await self.pool.read { db in
                try String.fetchAll(db, sql: "SELECT record_json FROM requests WHERE run_id = ? AND point_idx = ? ORDER BY seq",
                                    arguments: [runID, point])
            }
        }
        return try texts.map { try StoreCodec.decode(RequestRecord.self, $0, what: "request of \(runID)") }
    }

    public func deleteRun(id: String) async throws -> Bool {
        try await wrap("delete run \(id)") {
            try await self.pool.write { db in
                try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [id])
                return db.changesCount > 0
            }
        }
    }

    public func savePrediction(_ p: PredictionRecord) async throws {
        let points = try StoreCodec.encode(p.points)
        try await wrap("save prediction \(p.id)") {
            try await self.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO predictions (id, created_at, model, hardware, gpus, precision, configuration, provenance, points_json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [p.id, p.createdAt, p.model, p.hardware, p.gpus, p.precision, p.configuration, p.provenance, points])
            }
        }
    }

    public func predictions() async throws -> [PredictionRecord] {
        let rows: [(PredictionRecord, String)] = try await wrap("list predictions") {
            try await self.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM predictions ORDER BY created_at DESC, id DESC").map { row in
                    (PredictionRecord(id: row["id"], createdAt: row["created_at"], model: row["model"], hardware: row["hardware"], gpus: row["gpus"],
                                      precision: row["precision"], configuration: row["configuration"], provenance: row["provenance"], points: []),
                     row["points_json"])
                }
            }
        }
        return try rows.map { record, json in
            var r = record
            r.points = try StoreCodec.decode([PredictedPoint].self, json, what: "prediction \(r.id)")
            return r
        }
    }

    public func close() async {
        try? pool.close()
    }

    private static func metadata(_ row: Row) -> RunMetadata {
        RunMetadata(id: row["id"], createdAt: row["created_at"], hardware: row["hardware"], engine: row["engine"], engineVersion: row["engine_version"],
                    costProfile: row["cost_profile"], label: row["label"])
    }

    /// Runs a database operation, turning GRDB's errors into a `StoreError` that names the store and the operation.
    private func wrap<T: Sendable>(_ what: String, _ body: @Sendable () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as StoreError { throw error } catch {
            throw StoreError("cannot \(what) in \(location): \(error)")
        }
    }
}
