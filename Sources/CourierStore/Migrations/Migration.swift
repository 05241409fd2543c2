import Foundation

/// One versioned schema change, `migrations/NNNN_<name>.sql`, embedded in the binary.
public struct Migration: Hashable, Sendable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    public static var latestVersion: Int { all.last?.version ?? 0 }
}

/// Applies missing migrations (operations.md §3.1): advisory lock, version check, one transaction each.
public struct Migrator: Sendable {
    /// The advisory lock key concurrent upgraders and the primary master serialize on ("courier" in ASCII).
    public static let advisoryLockKey: Int64 = 0x636F_7572_6965_72

    public var migrations: [Migration]

    public init(migrations: [Migration] = Migration.all) {
        self.migrations = migrations
    }

    /// The schema version recorded in the database (0 when empty).
    public func currentVersion(_ connection: PGConnection) throws -> Int {
        try ensureVersionTable(connection)
        let rows = try connection.execute("SELECT coalesce(max(version), 0) AS version FROM courier_schema_version")
        return Int(rows[0, "version"] ?? "0") ?? 0
    }

    /// Applies what is missing; `progress` gets lines like `applying 0001_events.sql … ok (84 ms)`.
    /// Returns the versions applied (empty when current). Throws `.schemaTooNew` for a newer database.
    @discardableResult
    public func upgrade(_ connection: PGConnection, progress: (String) -> Void = { _ in }) throws -> [Int] {
        try connection.execute("SELECT pg_advisory_lock($1)", [String(Self.advisoryLockKey)])
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [String(Self.advisoryLockKey)]) }  // the session end releases it too
        let current = try currentVersion(connection)
        let latest = migrations.last?.version ?? 0
        guard current <= latest else {
            throw StoreError(
                .schemaTooNew,
                "the database schema is version \(current), newer than this binary's \(latest); run a newer Courier")
        }
        var applied: [Int] = []
        for migration in migrations where migration.version > current {
            let start = ContinuousClock.now
            do {
                try connection.execute("BEGIN")
                try connection.execute(migration.sql)
                try connection.execute(
                    "INSERT INTO courier_schema_version (version, name) VALUES ($1, $2)",
                    [String(migration.version), migration.name])
                try connection.execute("COMMIT")
            } catch let error as StoreError {
                _ = try? connection.execute("ROLLBACK")  // the connection may be gone; the server rolls back then
                throw StoreError(.migration, "\(migration.name) failed and was rolled back: \(error.message)", sqlState: error.sqlState)
            }
            let elapsed = (ContinuousClock.now - start).components
            let milliseconds = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
            progress("applying \(migration.name) … ok (\(milliseconds) ms)")
            applied.append(migration.version)
        }
        return applied
    }

    private func ensureVersionTable(_ connection: PGConnection) throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS courier_schema_version (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
    }
}
