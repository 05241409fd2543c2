import CourierStore
import Foundation

/// A fresh database on the PostgreSQL server `make test` started (`COURIER_TEST_DATABASE_URL`).
/// Tests that need PostgreSQL fail loudly without it; they never skip.
public struct TestDatabase: Sendable {
    public let name: String
    public let url: String
    let serverURL: String

    public static func serverURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["COURIER_TEST_DATABASE_URL"], !url.isEmpty else {
            throw StoreError(
                .configuration,
                "COURIER_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts a throwaway PostgreSQL")
        }
        return url
    }

    /// Creates `courier_t_<random>` on the test server.
    public static func create() throws -> TestDatabase {
        try create(serverURL: serverURL())
    }

    public static func create(serverURL: String) throws -> TestDatabase {
        var generator = SystemRandomNumberGenerator()
        let name = "courier_t_" + String(generator.next() as UInt64, radix: 36)
        let admin = try PGConnection(url: serverURL)
        try admin.execute("CREATE DATABASE \(name)")
        return TestDatabase(name: name, url: replacingDatabase(in: serverURL, with: name), serverURL: serverURL)
    }

    /// Drops the database (best effort: a leftover database dies with the throwaway server).
    public func drop() {
        guard let admin = try? PGConnection(url: serverURL) else { return }
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    public var configuration: DatabaseConfiguration {
        DatabaseConfiguration(connectionString: url, displayName: name)
    }

    static func replacingDatabase(in url: String, with name: String) -> String {
        guard let slash = url.lastIndex(of: "/") else { return url + "/" + name }
        let rest = url[url.index(after: slash)...]
        let query = rest.firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
        return String(url[...slash]) + name + query
    }
}

/// A private PostgreSQL server a test can stop and start (an outage), via `scripts/pg.sh`.
public final class PrivatePostgres: Sendable {
    public let directory: String
    public let serverURL: String

    public init() throws {
        directory = "/tmp/courier-pg-\(UUID().uuidString.prefix(8))"
        serverURL = try Self.script(["start", directory]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func pause() throws { _ = try Self.script(["pause", directory]) }
    public func resume() throws { _ = try Self.script(["resume", directory]) }
    public func stop() { _ = try? Self.script(["stop", directory]) }  // best effort at test end

    static func script(_ arguments: [String]) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // Files, not pipes: the server the script starts inherits stray descriptors, and a pipe it
        // holds would never reach EOF for us.
        let outputPath = "/tmp/courier-pg-script-\(UUID().uuidString.prefix(8))"
        _ = FileManager.default.createFile(atPath: outputPath + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: outputPath + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outputPath + ".out")  // temp files: best effort
            try? FileManager.default.removeItem(atPath: outputPath + ".err")
        }
        // posix_spawn + waitpid rather than Foundation's Process, whose exit detection never fired
        // here once the script had left a daemon behind.
        let status = try spawnAndWait(
            ["/bin/bash", root.appendingPathComponent("scripts/pg.sh").path] + arguments,
            stdout: outputPath + ".out", stderr: outputPath + ".err")
        let output = (try? String(contentsOfFile: outputPath + ".out", encoding: .utf8)) ?? ""
        guard status == 0 else {
            let errors = (try? String(contentsOfFile: outputPath + ".err", encoding: .utf8)) ?? ""
            throw StoreError(.connection, "scripts/pg.sh \(arguments[0]) failed: \(errors)")
        }
        return output
    }
}

/// Runs a program with stdin from /dev/null and stdout/stderr into files; returns its exit status.
func spawnAndWait(_ arguments: [String], stdout: String, stderr: String) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let cArguments = arguments.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, arguments[0], &actions, nil, cArguments, environ)
    guard rc == 0 else { throw StoreError(.connection, "cannot run \(arguments[0]): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
}
