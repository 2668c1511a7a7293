import Foundation
import Logging
import NIOPosix
import NIOSSL
import PostgresNIO
import TokenMeterCore
import TokenMeterResults

/// The team store: PostgreSQL through postgres-nio, one connection owned by an actor (writes are serialized and every
/// multi-row write is one transaction), the same schema and migrations as SQLite. A connection the server closed (a restart,
/// a failover, a terminated backend) is opened again before the next statement, so a bench that retries its writes gets
/// them in once the server is back.
public actor PostgresRunStore: RunStore {
    private var connection: PostgresConnection
    private let configuration: PostgresConnection.Configuration
    private let logger = Logger(label: "tokenmeter.store.postgres")
    public nonisolated let location: String

    /// Connects to `postgres://user[:password]@host[:port]/database[?sslmode=disable|require]` and migrates.
    public init(url: String) async throws {
        let target = try PostgresTarget(url: url)
        location = target.description
        var configuration = PostgresConnection.Configuration(host: target.host, port: target.port, username: target.user,
                                                             password: target.password, database: target.database, tls: .disable)
        if target.requireTLS {
            do { configuration.tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration())) } catch {
                throw StoreError("cannot set up TLS for \(target.description): \(error)")
            }
        }
        self.configuration = configuration
        do {
            connection = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1,
                                                              logger: logger)
        } catch {
            throw StoreError("cannot connect to \(target.description): \(String(reflecting: error).prefix(300)). Is PostgreSQL running there, and "
                             + "does TOKENMETER_DATABASE_URL name the right user and database?")
        }
        try await migrate()
    }

    public func migrate() async throws {
        try await transaction("migrate") {
            try await self.execute(Schema.versionTable)
            var version = 0
            for try await v in try await self.connection.query("SELECT COALESCE(MAX(version), 0)::BIGINT FROM tokenmeter_schema", logger: self.logger)
                .decode(Int.self) { version = v }
            if version > Schema.current { throw Schema.tooNew(version, at: self.location) }
            for (index, statements) in Schema.migrations.enumerated() where index >= version {
                for sql in statements { try await self.execute(sql) }
                let now = ISO8601DateFormatter().string(from: Date())
                try await self.connection.query("INSERT INTO tokenmeter_schema (version, applied_at) VALUES (\(index + 1), \(now))", logger: self.logger)
            }
        }
    }

    public func createRun(_ m: RunMetadata, result: RunResult) async throws {
        let p = result.provenance
        let provenance = try StoreCodec.encode(p), config = try StoreCodec.encode(result.config), warnings = try StoreCodec.encode(result.warnings)
        let partial = result.partial ? 1 : 0
        try await transaction("save run \(m.id)") {
            try await self.connection.query("""
                INSERT INTO runs (id, created_at, status, tool_version, target_url, target_kind, model, gpus, hardware, engine, engine_version,
                    cost_profile, label, result_schema, partial, provenance_json, config_json, warnings_json)
                VALUES (\(m.id), \(m.createdAt), \(RunStatus.running.rawValue), \(p.toolVersion), \(p.targetURL), \(p.targetKind), \(p.model),
                    \(p.gpus), \(m.hardware), \(m.engine), \(m.engineVersion), \(m.costProfile), \(m.label), \(result.schema), \(partial),
                    \(provenance), \(config), \(warnings))
                """, logger: self.logger)
        }
    }

    public func savePoint(runID: String, point: PointResult, records: [RequestRecord], result: RunResult) async throws {
        let pointJSON = try StoreCodec.encode(point)
        let recordJSON = try records.map { try StoreCodec.encode($0) }
        let warnings = try StoreCodec.encode(result.warnings)
        let partial = point.partial ? 1 : 0, runPartial = result.partial ? 1 : 0
        try await transaction("save point \(point.index) of \(runID)") {
            try await self.connection.query("""
                INSERT INTO points (run_id, idx, label, concurrency, rate, partial, point_json)
                VALUES (\(runID), \(point.index), \(point.label), \(point.concurrency), \(point.rate), \(partial), \(pointJSON))
                """, logger: self.logger)
            for (seq, json) in recordJSON.enumerated() {
                try await self.connection.query("INSERT INTO requests (run_id, point_idx, seq, record_json) VALUES (\(runID), \(point.index), \(seq), \(json))",
                                                logger: self.logger)
            }
            try await self.connection.query("UPDATE runs SET partial = \(runPartial), warnings_json = \(warnings) WHERE id = \(runID)", logger: self.logger)
        }
    }

    public func finishRun(id: String, status: RunStatus, result: RunResult) async throws {
        let warnings = try StoreCodec.encode(result.warnings)
        let partial = result.partial ? 1 : 0
        try await transaction("finish run \(id)") {
            try await self.connection.query("UPDATE runs SET status = \(status.rawValue), partial = \(partial), warnings_json = \(warnings) WHERE id = \(id)",
                                            logger: self.logger)
        }
    }

    private static let metadataColumns = "id, created_at, hardware, engine, engine_version, cost_profile, label"
    private typealias MetadataRow = (String, String, String?, String?, String?, String?, String?)
    private static func metadata(_ r: MetadataRow) -> RunMetadata {
        RunMetadata(id: r.0, createdAt: r.1, hardware: r.2, engine: r.3, engineVersion: r.4, costProfile: r.5, label: r.6)
    }

    public func runs() async throws -> [RunSummary] {
        try await wrap("list runs") {
            var out: [RunSummary] = []
            let rows = try await self.connection.query("""
                SELECT \(unescaped: Self.metadataColumns), status, target_url, model, gpus, tool_version,
                    (SELECT COUNT(*) FROM points p WHERE p.run_id = r.id)::BIGINT
                FROM runs r ORDER BY created_at DESC, id DESC
                """, logger: self.logger)
            for try await (a, b, c, d, e, f, g, status, target, model, gpus, tool, points) in rows.decode(
                (String, String, String?, String?, String?, String?, String?, String, String, String, Int, String, Int).self)
            {
                out.append(RunSummary(metadata: Self.metadata((a, b, c, d, e, f, g)), status: RunStatus(rawValue: status) ?? .running, target: target,
                                      model: model, gpus: gpus, toolVersion: tool, points: points))
            }
            return out
        }
    }

    public func run(id: String) async throws -> StoredRun? {
        let fetched: (StoreCodec.RunRow, [String])? = try await wrap("read run \(id)") {
            var row: StoreCodec.RunRow?
            let rows = try await self.connection.query("""
                SELECT \(unescaped: Self.metadataColumns), status, result_schema, provenance_json, config_json, warnings_json, partial
                FROM runs WHERE id = \(id)
                """, logger: self.logger)
            for try await (a, b, c, d, e, f, g, status, schema, provenance, config, warnings, partial) in rows.decode(
                (String, String, String?, String?, String?, String?, String?, String, String, String, String, String, Int).self)
            {
                row = StoreCodec.RunRow(metadata: Self.metadata((a, b, c, d, e, f, g)), status: status, schema: schema, provenanceJSON: provenance,
                                        configJSON: config, warningsJSON: warnings, partial: partial != 0)
            }
            guard let row else { return nil }
            var points: [String] = []
            for try await json in try await self.connection.query("SELECT point_json FROM points WHERE run_id = \(id) ORDER BY idx", logger: self.logger)
                .decode(String.self) { points.append(json) }
            return (row, points)
        }
        guard let (row, points) = fetched else { return nil }
        return try row.stored(points: points.map { try StoreCodec.decode(PointResult.self, $0, what: "point of \(id)") })
    }

    public func requests(runID: String, point: Int) async throws -> [RequestRecord] {
        let texts: [String] = try await wrap("read requests of \(runID)") {
            var out: [String] = []
            for try await json in try await self.connection.query(
                "SELECT record_json FROM requests WHERE run_id = \(runID) AND point_idx = \(point) ORDER BY seq", logger: self.logger).decode(String.self)
            { out.append(json) }
            return out
        }
        return try texts.map { try StoreCodec.decode(RequestRecord.self, $0, what: "request of \(runID)") }
    }

    public func deleteRun(id: String) async throws -> Bool {
        try await transaction("delete run \(id)") {
            var deleted = 0
            for try await n in try await self.connection.query("WITH d AS (DELETE FROM runs WHERE id = \(id) RETURNING 1) SELECT COUNT(*)::BIGINT FROM d",
                                                                 logger: self.logger).decode(Int.self) { deleted = n }
            return deleted > 0
        }
    }

    public func savePrediction(_ p: PredictionRecord) async throws {
        let points = try StoreCodec.encode(p.points)
        try await transaction("save prediction \(p.id)") {
            try await self.connection.query("""
                INSERT INTO predictions (id, created_at, model, hardware, gpus, precision, configuration, provenance, points_json)
                VALUES (\(p.id), \(p.createdAt), \(p.model), \(p.hardware), \(p.gpus), \(p.precision), \(p.configuration), \(p.provenance), \(points))
                """, logger: self.logger)
        }
    }

    public func predictions() async throws -> [PredictionRecord] {
        let rows: [(PredictionRecord, String)] = try await wrap("list predictions") {
            var out: [(PredictionRecord, String)] = []
            let rows = try await self.connection.query("""
                SELECT id, created_at, model, hardware, gpus, precision, configuration, provenance, points_json
                FROM predictions ORDER BY created_at DESC, id DESC
                """, logger: self.logger)
            for try await (id, created, model, hardware, gpus, precision, configuration, provenance, json) in rows.decode(
                (String, String, String, String, Int, String, String, String, String).self)
            {
                out.append((PredictionRecord(id: id, createdAt: created, model: model, hardware: hardware, gpus: gpus, precision: precision,
                                             configuration: configuration, provenance: provenance, points: []), json))
            }
            return out
        }
        return try rows.map { record, json in
            var r = record
            r.points = try StoreCodec.decode([PredictedPoint].self, json, what: "prediction \(r.id)")
            return r
        }
    }

    public func close() async {
        // A connection the server already closed is not closed again (postgres-nio does not answer that call).
        guard !connection.isClosed else { return }
        try? await connection.close()
    }

    private func execute(_ sql: String) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    /// One transaction on the connection; rolled back on any error.
    @discardableResult
    private func transaction<T: Sendable>(_ what: String, _ body: () async throws -> T) async throws -> T {
        try await wrap(what) {
            try await self.execute("BEGIN")
            do {
                let value = try await body()
                try await self.execute("COMMIT")
                return value
            } catch {
                try? await self.execute("ROLLBACK")
                throw error
            }
        }
    }

    private func wrap<T: Sendable>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            if connection.isClosed {
                connection = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                                  id: 1, logger: logger)
            }
            return try await body()
        } catch let error as StoreError { throw error } catch let error as PSQLError {
            throw StoreError("cannot \(what) in \(location): \(error.serverInfo?[.message] ?? String(describing: error.code))")
        } catch {
            throw StoreError("cannot \(what) in \(location): \(error)")
        }
    }
}

/// The parts of a `postgres://` URL; its description never shows the password.
struct PostgresTarget: CustomStringConvertible {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var requireTLS: Bool

    init(url: String) throws {
        guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql", let host = c.host, !host.isEmpty else {
            throw StoreError("TOKENMETER_DATABASE_URL must look like postgres://user@127.0.0.1:5432/tokenmeter")
        }
        self.host = host
        port = c.port ?? 5432
        user = c.user ?? "postgres"
        password = c.password
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = path.isEmpty ? user : path
        let mode = c.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "require", "verify-full"].contains(mode) else {
            throw StoreError("sslmode=\(mode) in TOKENMETER_DATABASE_URL is not supported; use disable, require or verify-full")
        }
        requireTLS = mode != "disable"
    }

    var description: String { "PostgreSQL \(user)@\(host):\(port)/\(database)" }
}
