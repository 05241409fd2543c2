import CourierCore
import CourierLog
import CourierStore
import CourierTesting
import Logging

/// What the PostgreSQL tests start from: a fresh migrated database, an LMDB log in a temp dir, and a
/// replicator shipping that log to the database, started. `remove()` deletes the log, then the database.
struct ReplicatedLogFixture {
    let database: TestDatabase
    let fixture: LogFixture
    let log: any EventLog
    let replicator: Replicator

    init(logger: Logger = Logger(label: "test")) throws {
        database = try TestDatabase.create()
        do {
            try Migrator().upgrade(PGConnection(url: database.url))
            fixture = try LogFixture(.lmdb)
        } catch {
            database.drop()
            throw error
        }
        do {
            log = try fixture.open()
        } catch {
            fixture.remove()
            database.drop()
            throw error
        }
        replicator = Replicator(
            log: log, database: database.configuration, configuration: .init(nodeKey: "test:1"), clock: fixture.clock.function,
            logger: logger)
        replicator.start()
    }

    func remove() {
        fixture.remove()
        database.drop()
    }
}
