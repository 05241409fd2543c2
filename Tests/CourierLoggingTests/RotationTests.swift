import CourierLogging
import Foundation
import Logging
import Testing

/// Size-based rotation, archive names and the keep limit (operations.md §5.1).
@Suite struct RotationTests {
    /// The message of a text line: what follows `[source] `.
    private func message(_ line: String) -> String {
        String(line[line.range(of: "] ")!.upperBound...])
    }

    @Test func rotationLosesAndSplitsNoLineUnderConcurrentWriters() async throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        let logs = try fixture.open(.coreapp, fixture.configuration(coreBytes: 4_000, keep: 1_000))
        let writers = 4
        let linesPerWriter = 300
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    let logger = logs.logger("courier.shard")
                    for index in 0..<linesPerWriter {
                        let padding = String(repeating: "x", count: (index * 37 + writer * 11) % 200)
                        logger.info("w\(writer)-\(index) \(padding)")
                    }
                }
            }
        }
        logs.close()

        let archives = try fixture.archives("core.log")
        #expect(archives.count >= 20)
        for archive in archives {
            let bytes = try fixture.archiveLines(archive).reduce(0) { $0 + $1.utf8.count + 1 }
            #expect(bytes <= 4_000, "\(archive) holds \(bytes) bytes")
        }
        let messages = try fixture.allLines("core.log").map(message)
        #expect(messages.count == writers * linesPerWriter)
        for writer in 0..<writers {
            let own = messages.filter { $0.hasPrefix("w\(writer)-") }.map { $0.split(separator: " ")[0] }
            #expect(
                own == (0..<linesPerWriter).map { "w\(writer)-\($0)"[...] },
                "writer \(writer)'s lines out of order"
            )
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.directory).sorted()
        #expect(leftovers == ["archive", "core.log"])
    }

    @Test func accessLogRotatesWithEveryLineIntact() throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        let logs = try fixture.open(.webapp, fixture.configuration(webBytes: 3_000, keep: 1_000))
        let written = (0..<500).map { "GET /v1/messages/\($0) 200 \(String(repeating: "y", count: $0 % 90))" }
        for line in written { logs.accessLog(line: line) }
        logs.close()
        #expect(try fixture.archives("access.log").count >= 10)
        #expect(try fixture.allLines("access.log") == written)
    }

    @Test func archiveNamesCarryTheRotationTimeInUTC() throws {
        let fixture = try LogDirectoryFixture(startSeconds: 1_700_000_000)  // 2023-11-14T22:13:20Z
        defer { fixture.remove() }
        let logs = try fixture.open(.coreapp, fixture.configuration(coreBytes: 500))
        let logger = logs.logger("courier.shard")
        for index in 0..<40 { logger.info("line \(index) \(String(repeating: "z", count: 40))") }
        logs.close()
        let archives = try fixture.archives("core.log")
        #expect(archives.count >= 5)
        for name in archives {
            #expect(name.wholeMatch(of: #/core\.log\.\d{8}T\d{6}Z\.gz/#) != nil, "unexpected archive name \(name)")
            #expect(name.hasPrefix("core.log.20231114T221"), "\(name) is not the clock's time")
        }
        #expect(try fixture.lines("core.log").first?.hasPrefix("2023-11-14T22:1") == true)
    }

    @Test func keepLimitDeletesTheOldestArchives() throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        let logs = try fixture.open(.coreapp, fixture.configuration(coreBytes: 1_000, keep: 3))
        let logger = logs.logger("courier.shard")
        let written = (0..<100).map { "line-\($0) \(String(repeating: "k", count: 40))" }
        for line in written { logger.info("\(line)") }
        logs.close()
        #expect(try fixture.archives("core.log").count == 3)
        let kept = try fixture.allLines("core.log").map(message)
        #expect(kept.count < written.count)
        #expect(kept == Array(written.suffix(kept.count)), "the kept lines are not the newest")
    }

    @Test func rotationsWithinOneSecondGetDistinctNamesAndKeepTheNewest() throws {
        let fixture = try LogDirectoryFixture(stepSeconds: 0)
        defer { fixture.remove() }
        let logs = try fixture.open(.coreapp, fixture.configuration(coreBytes: 300, keep: 4))
        let logger = logs.logger("courier.shard")
        let written = (0..<60).map { "same-second-\($0) \(String(repeating: "s", count: 30))" }
        for line in written { logger.info("\(line)") }
        logs.close()
        let archives = try fixture.archives("core.log")
        #expect(archives.count == 4)
        for name in archives {
            #expect(name.wholeMatch(of: #/core\.log\.20231114T221320Z(-\d+)?\.gz/#) != nil, "unexpected name \(name)")
        }
        let kept =
            try archives.sorted { collision($0) < collision($1) }.flatMap { try fixture.archiveLines($0) }
            + fixture.lines("core.log")
        #expect(kept.map(message) == Array(written.suffix(kept.count)))
    }

    @Test func aRestartInTheSameSecondNamesArchivesAfterTheExistingOnes() throws {
        let fixture = try LogDirectoryFixture(stepSeconds: 0)
        defer { fixture.remove() }
        let configuration = fixture.configuration(coreBytes: 300, keep: 3)
        var written: [String] = []
        for run in 0..<2 {
            let logs = try fixture.open(.coreapp, configuration)
            let logger = logs.logger("courier.shard")
            for index in 0..<30 {
                written.append("run-\(run)-\(index) \(String(repeating: "r", count: 30))")
                logger.info("\(written.last!)")
            }
            logs.close()
        }
        let archives = try fixture.archives("core.log").sorted { collision($0) < collision($1) }
        #expect(archives.count == 3)
        let kept = try archives.flatMap { try fixture.archiveLines($0) } + fixture.lines("core.log")
        #expect(kept.map(message) == Array(written.suffix(kept.count)))
    }

    @Test func aLineLongerThanTheLimitGoesWholeIntoItsOwnFile() throws {
        let fixture = try LogDirectoryFixture()
        defer { fixture.remove() }
        let logs = try fixture.open(.coreapp, fixture.configuration(coreBytes: 100))
        let logger = logs.logger("courier.shard")
        let long = String(repeating: "L", count: 500)
        logger.info("short")
        logger.info("\(long)")
        logger.info("after")
        logs.close()
        let archives = try fixture.archives("core.log")
        #expect(try archives.map { try fixture.archiveLines($0).map(message) } == [["short"], [long]])
        #expect(try fixture.lines("core.log").map(message) == ["after"])
    }

    /// Collision counter of an archive name, 0 without `-n`.
    private func collision(_ name: String) -> Int {
        guard let match = name.firstMatch(of: #/Z-(\d+)\.gz/#) else { return 0 }
        return Int(match.1)!
    }
}
