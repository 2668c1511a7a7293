import TokenMeterResults

/// The store's schema as versioned migrations, one SQL text for SQLite and PostgreSQL alike (portable types only:
/// TEXT, BIGINT, DOUBLE PRECISION; booleans as 0/1). Each migration runs in one transaction and is recorded in
/// `tokenmeter_schema`; a database whose version is newer than `current` is refused, never altered.
public enum Schema {
    /// Migrations in order; migration `i` brings the schema to version `i + 1`.
    public static let migrations: [[String]] = [
        [
            """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY,
                created_at TEXT NOT NULL,
                status TEXT NOT NULL,
                tool_version TEXT NOT NULL,
                target_url TEXT NOT NULL,
                target_kind TEXT NOT NULL,
                model TEXT NOT NULL,
                gpus BIGINT NOT NULL,
                hardware TEXT,
                engine TEXT,
                engine_version TEXT,
                cost_profile TEXT,
                label TEXT,
                result_schema TEXT NOT NULL,
                partial BIGINT NOT NULL,
                provenance_json TEXT NOT NULL,
                config_json TEXT NOT NULL,
                warnings_json TEXT NOT NULL
            )
            """,
            "CREATE INDEX runs_by_date ON runs (created_at)",
            """
            CREATE TABLE points (
                run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                idx BIGINT NOT NULL,
                label TEXT NOT NULL,
                concurrency BIGINT,
                rate DOUBLE PRECISION,
                partial BIGINT NOT NULL,
                point_json TEXT NOT NULL,
                PRIMARY KEY (run_id, idx)
            )
            """,
            """
            CREATE TABLE requests (
                run_id TEXT NOT NULL,
                point_idx BIGINT NOT NULL,
                seq BIGINT NOT NULL,
                record_json TEXT NOT NULL,
                PRIMARY KEY (run_id, point_idx, seq),
                FOREIGN KEY (run_id, point_idx) REFERENCES points (run_id, idx) ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE predictions (
                id TEXT PRIMARY KEY,
                created_at TEXT NOT NULL,
                model TEXT NOT NULL,
                hardware TEXT NOT NULL,
                gpus BIGINT NOT NULL,
                precision TEXT NOT NULL,
                configuration TEXT NOT NULL,
                provenance TEXT NOT NULL,
                points_json TEXT NOT NULL
            )
            """,
        ],
    ]

    /// The version this tokenmeter writes.
    public static var current: Int { migrations.count }

    /// The bookkeeping table.
    static let versionTable = "CREATE TABLE IF NOT EXISTS tokenmeter_schema (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)"

    /// Refusal for a database from a newer tokenmeter.
    static func tooNew(_ version: Int, at location: String) -> StoreError {
        StoreError("\(location) has schema version \(version), newer than this tokenmeter's \(current); upgrade tokenmeter or point "
                   + "TOKENMETER_STORE / TOKENMETER_DATABASE_URL elsewhere")
    }
}
