import CourierLogging
import Foundation
import Logging
import Testing

/// Files per role, error.log, formats, reopen and recovery (operations.md §5.1).
@Suite struct ApplicationLogsTests {
    @Test(arguments: [
        (ApplicationLogs.Role.all, ["access.log", "archive", "core.log", "error.log", "web.log"]),
        (.webapp, ["access.log", "archive", "error.log", "web.log"]),
        (.master, ["archive", "core.log"]),
        (.coreapp, ["archive", "core.log"]),
    ])
    func eachRoleOpensItsFiles(role: ApplicationLogs.Role, files: [String]) throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        let logs = try fixture.open(role, fixture.configuration())
        logs.accessLog(line: "GET /v1/health 200")
        logs.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory).sorted() == files)
    }

    @Test func roleAllSendsHTTPLabelsToWebLogAndTheRestToCoreLog() throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        let logs = try fixture.open(.all, fixture.configuration())
        logs.logger("courier.http.routes").info("route")
        logs.logger("courier.shard").info("shard")
        logs.accessLog(line: "POST /v1/messages 201\nforged line")
        logs.close()
        #expect(try fixture.lines("web.log").map { $0.hasSuffix("] route") } == [true])
        #expect(try fixture.lines("core.log").map { $0.hasSuffix("] shard") } == [true])
        #expect(try fixture.lines("access.log") == ["POST /v1/messages 201 forged line"])
    }

    @Test func errorLogReceivesOnlyWarningsAndAbove() throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        let logs = try fixture.open(.all, fixture.configuration())
        let web = logs.logger("courier.http")
        for level in Logger.Level.allCases { web.log(level: level, "web \(level)") }
        logs.logger("courier.shard").warning("core warning")
        logs.close()
        #expect(try fixture.lines("web.log").count == Logger.Level.allCases.count)
        let errors = try fixture.lines("error.log").map { String($0.split(separator: "] ").last!) }
        #expect(errors == ["web warning", "web error", "web critical", "core warning"])
    }

    @Test func minimumLevelFiltersLines() throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        var configuration = fixture.configuration()
        configuration.minimumLevel = .notice
        let logs = try fixture.open(.coreapp, configuration)
        let logger = logs.logger("courier.shard")
        logger.info("dropped")
        logger.notice("kept")
        logs.close()
        #expect(try fixture.lines("core.log").map { $0.hasSuffix("] kept") } == [true])
    }

    @Test func textLinesAreOneLineEach() throws {
        let fixture = try LogDirectoryFixture(startSeconds: 1_700_000_000)
        defer { fixture.remove() }
        let logs = try fixture.open(.coreapp, fixture.configuration())
        var logger = logs.logger("courier.shard")
        logger[metadataKey: "shard.id"] = "7"
        logger.info("hello\nworld", metadata: ["api.token": "abc", "message.id": "m1"])
        logs.close()
        #expect(
            try fixture.lines("core.log") == [
                #"2023-11-14T22:13:20.123Z info courier.shard: api.token=<redacted> message.id=m1 shard.id=7 "#
                    + #"[CourierLoggingTests] hello\nworld"#
            ]
        )
    }

    @Test func jsonLinesParseWithEveryField() throws {
        let fixture = try LogDirectoryFixture(startSeconds: 1_700_000_000)
        defer { fixture.remove() }
        let logs = try fixture.open(.webapp, fixture.configuration(format: .json))
        let logger = logs.logger("courier.http")
        let tricky = "quote \" backslash \\ newline \n tab \t control \u{01} é 📮"
        logger.error(
            "\(tricky)",
            metadata: [
                "shard.id": .stringConvertible(7), "tags": ["a", "b"],
                "nested": ["user.password": "hunter2", "n": "1"],
            ]
        )
        logger.info("plain")
        logs.close()
        let lines = try fixture.lines("web.log")
        #expect(lines.count == 2)
        let objects = try lines.map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let first = objects[0]
        #expect(first["time"] as? String == "2023-11-14T22:13:20.123Z")
        #expect(first["level"] as? String == "error")
        #expect(first["label"] as? String == "courier.http")
        #expect(first["source"] as? String == "CourierLoggingTests")
        #expect(first["message"] as? String == tricky)
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["shard.id"] as? String == "7")
        #expect(metadata["tags"] as? [String] == ["a", "b"])
        #expect(metadata["nested"] as? [String: String] == ["user.password": "<redacted>", "n": "1"])
        #expect((objects[1]["metadata"] as? [String: Any])?.isEmpty == true)
        let errorLine = try #require(try fixture.lines("error.log").first)
        #expect(try JSONSerialization.jsonObject(with: Data(errorLine.utf8)) is [String: Any])
    }

    @Test func reopenAfterTheFileWasMovedAwayStartsANewFile() throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        let logs = try fixture.open(.webapp, fixture.configuration())
        let logger = logs.logger("courier.http")
        logger.info("before")
        try FileManager.default.moveItem(
            atPath: fixture.directory + "/web.log",
            toPath: fixture.directory + "/web.log.1"
        )
        logger.info("still the old file")
        logs.reopen()
        logger.info("after")
        logs.close()
        let suffixes = { (lines: [String]) in lines.map { String($0.split(separator: "] ").last!) } }
        #expect(suffixes(try fixture.lines("web.log.1")) == ["before", "still the old file"])
        #expect(suffixes(try fixture.lines("web.log")) == ["after"])
    }

    @Test func startArchivesARotatedFileLeftByADeadProcess() throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        let archive = fixture.directory + "/archive"
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        let leftover = "one\ntwo\n"
        try Data(leftover.utf8).write(to: URL(fileURLWithPath: fixture.directory + "/core.log.20230101T000000Z"))
        try Data("partial".utf8).write(to: URL(fileURLWithPath: archive + "/core.log.20230101T000000Z.gz.tmp"))
        let logs = try fixture.open(.coreapp, fixture.configuration())
        logs.waitForArchiving()
        #expect(try fixture.archives("core.log") == ["core.log.20230101T000000Z.gz"])
        #expect(try fixture.archiveLines("core.log.20230101T000000Z.gz") == ["one", "two"])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: fixture.directory).sorted() == ["archive", "core.log"]
        )
        logs.close()
    }

    @Test func aMissingDirectoryIsCreatedAndAnUnwritableOneIsAnError() throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        var configuration = fixture.configuration()
        configuration.directory = fixture.directory + "/deeper/still"
        let logs = try fixture.open(.coreapp, configuration)
        logs.close()
        #expect(FileManager.default.fileExists(atPath: configuration.directory + "/archive"))

        try Data().write(to: URL(fileURLWithPath: fixture.directory + "/a-file"))
        configuration.directory = fixture.directory + "/a-file/logs"
        #expect { try fixture.open(.coreapp, configuration) } throws: { error in
            (error as? ApplicationLogError)?.code == .directory
        }
    }
}
