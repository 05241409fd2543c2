import CourierStore
import Foundation

/// `courier db upgrade` (operations.md §3.1): wait up to 60 s for the server, take the advisory lock,
/// refuse a newer schema, apply what is missing one transaction each, printing progress.
/// Exit codes: 0 done or current; 1 a migration failed; 2 bad configuration; 3 database newer than
/// the binary; 4 database unreachable for 60 s.
public enum DatabaseUpgrade {
    public static func run(
        _ configuration: DatabaseConfiguration?, patience: Duration = .seconds(60), output: (String) -> Void
    ) -> Int32 {
        guard let configuration else {
            output("error: no database configured: set WA_DB_HOSTNAME (and WA_DB_* from db.env) or --db-url")
            return 2
        }
        output("upgrading \(configuration.displayName) to schema version \(Migration.latestVersion)")
        let connection: PGConnection
        do {
            connection = try DatabaseBootstrap.connect(configuration, patience: patience) { message in
                output("waiting for the database: \(message)")
            }
        } catch {
            output("error: database unreachable for \(patience.components.seconds) s: \(error)")
            return 4
        }
        do {
            let applied = try Migrator().upgrade(connection) { output($0) }
            output(applied.isEmpty ? "schema is current (version \(Migration.latestVersion))" : "schema upgraded to version \(Migration.latestVersion)")
            return 0
        } catch let error as StoreError {
            output("error: \(error.message)")
            switch error.code {
            case .schemaTooNew: return 3
            case .connection: return 4
            default: return 1
            }
        } catch {
            output("error: \(error)")
            return 1
        }
    }
}
