import CourierStore
import CourierTesting
import Foundation
import Testing

@Suite struct MigrationTests {
    @Test func embeddedMigrationsMatchTheMigrationsFolder() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == Migration.all.map(\.name), "run scripts/embed-migrations.sh")
        for migration in Migration.all {
            let text = try String(contentsOf: folder.appendingPathComponent(migration.name), encoding: .utf8)
            #expect(text.hasSuffix("\n") ? String(text.dropLast()) == migration.sql : text == migration.sql, "\(migration.name) differs; run scripts/embed-migrations.sh")
            #expect(Int(migration.name.prefix(4)) == migration.version)
        }
        #expect(Migration.all.map(\.version) == Array(1...Migration.all.count))
    }

    @Test func upgradeFromEmptyThenNoOpThenRefusesANewerSchema() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try PGConnection(url: database.url)
        var lines: [String] = []
        let applied = try Migrator().upgrade(connection) { lines.append($0) }
        #expect(applied == Migration.all.map(\.version))
        #expect(lines.count == Migration.all.count)
        #expect(lines.allSatisfy { $0.hasPrefix("applying ") && $0.contains(" … ok (") })
        #expect(try Migrator().currentVersion(connection) == Migration.latestVersion)
        #expect(try connection.execute("SELECT count(*) FROM events").rows[0][0] == "0")

        #expect(try Migrator().upgrade(connection).isEmpty)

        try connection.execute("INSERT INTO courier_schema_version (version, name) VALUES (999, '0999_future.sql')")
        do {
            try Migrator().upgrade(connection)
            Issue.record("a newer schema was accepted")
        } catch let error as StoreError {
            #expect(error.code == .schemaTooNew)
            #expect(error.message.contains("999"))
        }
    }

    @Test func failingMigrationRollsBackEntirely() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try PGConnection(url: database.url)
        let broken = Migrator(migrations: [
            Migration(version: 1, name: "0001_ok.sql", sql: "CREATE TABLE a (x int)"),
            Migration(version: 2, name: "0002_broken.sql", sql: "CREATE TABLE b (x int); SELECT nonsense FROM nowhere"),
        ])
        #expect(throws: StoreError.self) { try broken.upgrade(connection) }
        #expect(try Migrator(migrations: broken.migrations).currentVersion(connection) == 1)
        #expect(try connection.execute("SELECT to_regclass('b') IS NULL AS missing").rows[0][0] == "t")
    }
}

@Suite struct DatabaseConfigurationTests {
    @Test func variablesBuildAConnectionString() throws {
        let configuration = try #require(
            try DatabaseConfiguration.from(
                variables: ["WA_DB_HOSTNAME": "db", "WA_DB_PORT": "5433", "WA_DB_USERNAME": "wa", "WA_DB_PASSWORD": "s3cr#t'x", "WA_DB_NAME_PREFIX": "acme_"],
                url: nil))
        #expect(configuration.connectionString.contains("host='db'"))
        #expect(configuration.connectionString.contains("dbname='acme_courier'"))
        #expect(configuration.connectionString.contains("password='s3cr#t\\'x'"))
        #expect(configuration.displayName == "db:5433/acme_courier")
        #expect(!configuration.displayName.contains("s3cr"))
    }

    @Test func nothingConfiguredMeansLMDBOnly() throws {
        #expect(try DatabaseConfiguration.from(variables: [:], url: nil) == nil)
    }

    @Test(arguments: [
        (["WA_DB_ENGINE": "MYSQL", "WA_DB_HOSTNAME": "db"], "WA_DB_ENGINE"),
        (["WA_DB_HOSTNAME": "db", "WA_DB_PASSWORD": "a!b"], "'!'"),
        (["WA_DB_HOSTNAME": "db", "WA_DB_PORT": "x"], "WA_DB_PORT"),
        (["WA_DB_HOSTNAME": "db", "WA_DB_CONNECTION_IDLE_TIMEOUT": "-1"], "WA_DB_CONNECTION_IDLE_TIMEOUT"),
        (["WA_DB_HOSTNAME": "db", "COURIER_DB_URL": "postgres://x@y/z"], "not both"),
        (["COURIER_DB_URL": "mysql://x@y/z"], "postgres://"),
    ])
    func badValuesNameTheVariable(variables: [String: String], mention: String) {
        do {
            _ = try DatabaseConfiguration.from(variables: variables, url: nil)
            Issue.record("accepted \(variables)")
        } catch let error as StoreError {
            #expect(error.code == .configuration)
            #expect(error.message.contains(mention), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func pgsqlIsASynonymAndURLsAreRedacted() throws {
        #expect(try DatabaseConfiguration.from(variables: ["WA_DB_ENGINE": "PGSQL", "WA_DB_HOSTNAME": "h"], url: nil) != nil)
        let configuration = try #require(try DatabaseConfiguration.from(variables: [:], url: "postgres://u:pw@h:1/d"))
        #expect(configuration.displayName == "postgres://u:***@h:1/d")
    }
}
