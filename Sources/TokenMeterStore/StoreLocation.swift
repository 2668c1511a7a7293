import Foundation
import TokenMeterResults

/// Which store a command uses: PostgreSQL when `TOKENMETER_DATABASE_URL` is set, else the SQLite file at
/// `TOKENMETER_STORE`, else `$XDG_DATA_HOME/tokenmeter/runs.sqlite`, else `~/.local/share/tokenmeter/runs.sqlite`.
public enum StoreLocation {
    /// The SQLite path for an environment.
    public static func sqlitePath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["TOKENMETER_STORE"], !path.isEmpty { return path }
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return data + "/tokenmeter/runs.sqlite"
    }

    /// Opens (and migrates) the store for an environment.
    public static func open(environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> any RunStore {
        if let url = environment["TOKENMETER_DATABASE_URL"], !url.isEmpty {
            return try await PostgresRunStore(url: url)
        }
        return try await SQLiteRunStore(path: sqlitePath(environment: environment))
    }
}
