import CourierStore
import Foundation
import Synchronization

/// The PostgreSQL server given by `--pg-url`: one fresh, migrated database per measurement, all
/// dropped at the end. libpq blocks, so every call runs on a `PGWorker` thread or a thread of its own,
/// never on the cooperative pool the appenders run on.
final class BenchDatabaseServer: Sendable {
    /// The URL as given; its database is only where the admin connection sits.
    let url: String
    /// Creates and drops databases and counts connections; it sits in the URL's database, so it is
    /// never counted among a bench database's connections.
    private let admin: PGWorker
    private let created = Mutex<[String]>([])

    init(url: String) {
        self.url = url
        admin = PGWorker(url: url, name: "courier-bench-pg")
    }

    var displayName: String { Self.redacted(url) }

    /// `CREATE DATABASE courier_bench_<pid>_<n>`, migrated to the latest schema with `Migrator`; the
    /// migrating connection is closed before this returns, so the replicator's are the only ones left.
    func freshDatabase() async throws -> DatabaseConfiguration {
        let name = created.withLock { names in
            names.append("courier_bench_\(getpid())_\(names.count + 1)")
            return names[names.count - 1]
        }
        // The name is ours (digits and underscores), so splicing it into DDL is safe.
        try await admin.perform { connection in _ = try connection.execute("CREATE DATABASE \(name)") }
        let databaseURL = Self.url(url, database: name)
        try await onOwnThread("courier-bench-migrate") {
            let connection = try PGConnection(url: databaseURL)
            try Migrator().upgrade(connection)
        }
        // The display name is the bare database name: what `connectionCount(database:)` wants.
        return DatabaseConfiguration(connectionString: databaseURL, displayName: name)
    }

    /// Backends connected to `database` right now (`pg_stat_activity`).
    func connectionCount(database: String) async throws -> Int {
        try await admin.perform { connection in
            let rows = try connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", [database])
            return rows.rows.first?.first.flatMap { $0.flatMap { Int($0) } } ?? 0
        }
    }

    /// Rows in `events` and `messages` of a bench database, to check that replication shipped everything.
    func replicatedRows(_ database: DatabaseConfiguration) async throws -> (events: Int, messages: Int) {
        let url = database.connectionString
        return try await onOwnThread("courier-bench-check") {
            let connection = try PGConnection(url: url)
            let row = try connection.execute("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM messages)")
                .rows.first
            return (Int(row?[0] ?? "") ?? -1, Int(row?[1] ?? "") ?? -1)
        }
    }

    /// Drops every database this run created and closes the admin connection. Failures are reported,
    /// not thrown: the figures are already taken.
    func dropAll() async {
        let names = created.withLock { $0 }
        for name in names {
            do {
                try await admin.perform { connection in
                    _ = try connection.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
                }
            } catch {
                printError("courier-bench: could not drop database \(name): \(error)")
            }
        }
        admin.stop()
    }

    /// `server` with its database (path) replaced by `database`; user, host, port and query kept.
    static func url(_ server: String, database: String) -> String {
        guard let scheme = server.range(of: "://") else { return server }
        let rest = server[scheme.upperBound...]
        let query = rest.firstIndex(of: "?") ?? server.endIndex
        let path = rest[..<query].firstIndex(of: "/") ?? query
        return String(server[..<path]) + "/" + database + String(server[query...])
    }

    /// The URL without its password.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url.lastIndex(of: "@"), at > scheme.upperBound,
            let colon = url[scheme.upperBound..<at].firstIndex(of: ":")
        else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}

/// Runs blocking `body` (libpq) on a thread of its own and returns its result.
func onOwnThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = name
        thread.start()
    }
}

/// A measurement that went wrong in a way the figures cannot show (lost rows, a stuck replicator).
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
