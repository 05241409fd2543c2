import Foundation

/// Where PostgreSQL is, from the original's `db.env` variables or a URL (operations.md §1.1).
///
/// Pure: `courier` hands in the environment; this type only interprets it.
public struct DatabaseConfiguration: Hashable, Sendable {
    /// A libpq connection string (`postgres://…` URL or `key=value` pairs).
    public var connectionString: String
    /// `WA_DB_CONNECTION_IDLE_TIMEOUT`: idle connections are closed and reopened when next needed.
    public var idleTimeout: Duration = .milliseconds(180_000)
    /// What to show in logs: host, port and database, never the password.
    public var displayName: String

    public init(connectionString: String, displayName: String, idleTimeout: Duration = .milliseconds(180_000)) {
        self.connectionString = connectionString
        self.displayName = displayName
        self.idleTimeout = idleTimeout
    }

    /// The characters the original forbade in `WA_DB_PASSWORD`, kept so one `db.env` serves both.
    public static let forbiddenPasswordCharacters: [Character] = ["?", "{", "}", "&", "~", "!", "(", ")", "^", "="]

    /// nil when neither `WA_DB_HOSTNAME` nor a URL is set (LMDB-only node). Throws `.configuration`
    /// naming the variable for any bad value.
    public static func from(variables: [String: String], url: String?) throws -> DatabaseConfiguration? {
        func value(_ name: String) -> String? { variables[name].flatMap { $0.isEmpty ? nil : $0 } }
        let engine = value("WA_DB_ENGINE")?.uppercased() ?? "POSTGRES"
        guard engine == "POSTGRES" || engine == "PGSQL" else {
            throw StoreError(.configuration, "WA_DB_ENGINE=\(engine) is not supported: Courier uses PostgreSQL only (POSTGRES)")
        }
        var idle = Duration.milliseconds(180_000)
        if let text = value("WA_DB_CONNECTION_IDLE_TIMEOUT") {
            guard let milliseconds = Int(text), milliseconds > 0 else {
                throw StoreError(.configuration, "WA_DB_CONNECTION_IDLE_TIMEOUT must be a positive number of milliseconds, not '\(text)'")
            }
            idle = .milliseconds(milliseconds)
        }
        let url = url ?? value("COURIER_DB_URL")
        let host = value("WA_DB_HOSTNAME")
        if url != nil && host != nil {
            throw StoreError(.configuration, "set either COURIER_DB_URL (--db-url) or WA_DB_HOSTNAME, not both")
        }
        if let url {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                throw StoreError(.configuration, "--db-url (COURIER_DB_URL) must start with postgres://")
            }
            return DatabaseConfiguration(connectionString: url, displayName: redacted(url), idleTimeout: idle)
        }
        guard let host else { return nil }
        let port = value("WA_DB_PORT") ?? "5432"
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw StoreError(.configuration, "WA_DB_PORT must be a port number, not '\(port)'")
        }
        let user = value("WA_DB_USERNAME") ?? "postgres"
        let password = variables["WA_DB_PASSWORD"] ?? ""
        if let bad = password.first(where: { forbiddenPasswordCharacters.contains($0) }) {
            throw StoreError(
                .configuration,
                "WA_DB_PASSWORD must not contain '\(bad)' (forbidden: \(String(forbiddenPasswordCharacters)))")
        }
        let database = (value("WA_DB_NAME_PREFIX") ?? "") + "courier"
        var pairs = ["host": host, "port": port, "user": user, "dbname": database, "connect_timeout": "5"]
        if !password.isEmpty { pairs["password"] = password }
        if let ca = value("WA_DB_SSL_CA") {
            pairs["sslmode"] = "verify-full"
            pairs["sslrootcert"] = ca
        }
        if let cert = value("WA_DB_SSL_CERT") { pairs["sslcert"] = cert }
        if let key = value("WA_DB_SSL_KEY") { pairs["sslkey"] = key }
        let connection = pairs.keys.sorted().map { "\($0)=\(quoted(pairs[$0]!))" }.joined(separator: " ")
        return DatabaseConfiguration(connectionString: connection, displayName: "\(host):\(port)/\(database)", idleTimeout: idle)
    }

    /// libpq `key=value` quoting: single quotes, with `\` and `'` escaped.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// The URL without its password.
    static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
