import Foundation

/// Getting a usable database: wait for the server (operations.md §3.1 step 1), create
/// `<prefix>courier` when it is missing and we are allowed to (§2).
public enum DatabaseBootstrap {
    /// Connects, retrying every second for up to `patience` while the server starts; creates the
    /// database if the server says it does not exist. Throws the last connection error after that.
    public static func connect(
        _ configuration: DatabaseConfiguration, patience: Duration = .seconds(60),
        onRetry: (String) -> Void = { _ in }
    ) throws -> PGConnection {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try PGConnection(url: configuration.connectionString)
            } catch let error as StoreError where error.message.contains("does not exist") {
                try createDatabase(configuration)
                return try PGConnection(url: configuration.connectionString)
            } catch let error as StoreError {
                guard ContinuousClock.now < deadline else { throw error }
                onRetry(error.message)
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// `CREATE DATABASE` through the server's `postgres` database.
    static func createDatabase(_ configuration: DatabaseConfiguration) throws {
        let (maintenance, name) = try maintenanceTarget(configuration.connectionString)
        let admin = try PGConnection(url: maintenance)
        let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        do {
            try admin.execute("CREATE DATABASE \(quoted)")
        } catch let error as StoreError where error.sqlState == "42P04" {
            // Created meanwhile by a concurrent upgrader: fine.
        }
    }

    /// The same server with database `postgres`, and the database name asked for.
    static func maintenanceTarget(_ connection: String) throws -> (String, String) {
        if connection.hasPrefix("postgres://") || connection.hasPrefix("postgresql://") {
            guard let schemeEnd = connection.range(of: "://"),
                let slash = connection[schemeEnd.upperBound...].firstIndex(of: "/")
            else { throw StoreError(.configuration, "the database URL names no database") }
            let rest = connection[connection.index(after: slash)...]
            let name = String(rest.prefix { $0 != "?" })
            let query = rest.firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
            return (String(connection[...slash]) + "postgres" + query, name.removingPercentEncoding ?? name)
        }
        guard let range = connection.range(of: "dbname='") else {
            throw StoreError(.configuration, "the connection string names no database")
        }
        let name = connection[range.upperBound...].prefix { $0 != "'" }
        return (connection + " dbname='postgres'", String(name))
    }
}
