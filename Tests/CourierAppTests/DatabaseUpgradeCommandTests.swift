import CourierStore
import CourierTesting
import Testing

/// `courier db upgrade` as operators run it: output, idempotence and exit codes (operations.md §3.1).
@Suite struct DatabaseUpgradeCommandTests {
    @Test func upgradeIsIdempotentAndRefusesANewerSchema() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let first = try runCourier(["db", "upgrade", "--db-url", database.url])
        #expect(first.code == 0, "\(first)")
        #expect(first.out.contains("applying 0001_events.sql … ok ("))
        let second = try runCourier(["db", "upgrade"], environment: ["COURIER_DB_URL": database.url])
        #expect(second.code == 0)
        #expect(second.out.contains("schema is current"))
        #expect(!second.out.contains("applying"))

        try PGConnection(url: database.url).execute("INSERT INTO courier_schema_version (version, name) VALUES (99, 'x')")
        let newer = try runCourier(["db", "upgrade", "--db-url", database.url])
        #expect(newer.code == 3)
        #expect(newer.out.contains("newer than this binary"))
    }

    @Test func badConfigurationExitsTwo() throws {
        for environment in [["WA_DB_ENGINE": "MYSQL", "WA_DB_HOSTNAME": "db"], ["WA_DB_HOSTNAME": "db", "WA_DB_PASSWORD": "a=b"], [:]] {
            let result = try runCourier(["db", "upgrade"], environment: environment.merging(["COURIER_DB_URL": ""]) { $1 })
            #expect(result.code == 2, "\(environment): \(result)")
        }
    }

    @Test func serveWithUpgradeVariableRunsTheUpgrade() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let result = try runCourier(["serve"], environment: ["WA_DB_UPGRADE": "1", "COURIER_DB_URL": database.url])
        #expect(result.code == 0, "\(result)")
        #expect(result.out.contains("schema upgraded to version \(Migration.latestVersion)"))
    }
}
