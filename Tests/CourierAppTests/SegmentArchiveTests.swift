import CourierApp
import CourierCore
import CourierLog
import CourierTesting
import Foundation
import Logging
import Testing

/// Segments leaving the live log: gzipped into `log/archive/`, the newest `COURIER_LOG_ARCHIVE_KEEP`
/// kept, older ones deleted; `courier log list|dump --include-archive` read what is archived.
@Suite struct SegmentArchiveTests {
    func open(_ data: DataDirectory, clock: ManualClock, keep: Int) throws -> LMDBEventLog {
        var configuration = LMDBEventLog.Configuration()
        configuration.segmentSizeBytes = 128 << 10
        configuration.initialMapSizeBytes = 8 << 20
        configuration.archiveKeep = keep
        return try LMDBEventLog(directory: data.logPath, configuration: configuration, clock: clock.function, logger: Logger(label: "test"))
    }

    @Test(arguments: [0, 2])
    func coveredSegmentsAreArchivedAndTheNewestKeptKept(keep: Int) async throws {
        let directory = try TemporaryDirectory("courier-archive")
        defer { directory.remove() }
        let data = try DataDirectory.openOrCreate(directory.path) { "0123456789ab" }
        let clock = ManualClock()
        let log = try open(data, clock: clock, keep: keep)
        for index in 0..<3_000 {
            clock.advance(microseconds: 1000)
            _ = try await log.append(.testSend(shard: UInt16(index % 2), index: index, bodyBytes: 200))
        }
        let sealed = log.segments().filter(\.sealed)
        #expect(sealed.count >= 5)
        // Nothing covered: nothing leaves.
        #expect(try log.removeCoveredSegments(covered: [:], replicated: nil).isEmpty)
        // Covered up to the middle of the log: the segments wholly below go, the rest stay.
        let covered: [UInt16: UInt64] = [0: 1_000, 1: 1_000]
        let expected = sealed.filter { $0.streams.values.allSatisfy { $0.lastSeq <= 1_000 } }.map(\.id)
        #expect(expected.count >= 3)
        // Not yet replicated (PostgreSQL on): those stay.
        let replicated: [UInt16: UInt64] = [0: 1_000, 1: 900]
        let firstBatch = sealed.filter { $0.streams.allSatisfy { $0.value.lastSeq <= replicated[$0.key]! } }.map(\.id)
        #expect(firstBatch.count < expected.count)
        let first = try log.removeCoveredSegments(covered: covered, replicated: replicated)
        #expect(first.filter { $0.action == (keep > 0 ? .archived : .removed) }.map(\.id) == firstBatch)
        let results = try log.removeCoveredSegments(covered: covered, replicated: nil)
        let archivedNow = results.filter { $0.action == .archived }.map(\.id)
        #expect(archivedNow == (keep > 0 ? Array(expected.dropFirst(firstBatch.count)) : []))
        #expect((first + results).filter { $0.action == .removed }.count == (keep > 0 ? expected.count - keep : expected.count))
        #expect(log.segments().map(\.id).allSatisfy { !expected.contains($0) })
        let archive = SegmentArchive(logDirectory: data.logPath)
        #expect(archive.entries().map(\.id) == Array(expected.suffix(keep)))
        if keep == 0 { #expect(results.allSatisfy { $0.action == .removed }) }
        for id in expected {
            #expect(!FileManager.default.fileExists(atPath: data.logPath + "/" + String(id).leftPadded(to: 12) + ".mdb"))
        }
        // The live log still reads from the first kept record on, and a reopen sees the same tails.
        let firstLive = try log.read(shard: 0, fromSeq: 1, limit: 1).first?.seq ?? 0
        #expect(firstLive > 1)
        await log.close()
        let reopened = try open(data, clock: clock, keep: keep)
        #expect(reopened.lastSeq(shard: 0) == 1_500 && reopened.lastSeq(shard: 1) == 1_500)
        await reopened.close()

        let lines = Lines()
        let inspector = try LogInspector(dataDirectoryPath: directory.path, output: lines.append)
        var list = LogInspector.ListOptions()
        list.segments = true
        list.includeArchive = true
        inspector.list(list)
        #expect(lines.all[0].hasSuffix("archive \(keep)"))
        #expect(lines.all.filter { $0.contains(" archived ") }.count == keep)
        var dump = LogInspector.DumpOptions()
        dump.filter.shard = 0
        dump.includeArchive = true
        let dumped = Lines()
        try LogInspector(dataDirectoryPath: directory.path, output: dumped.append).dump(dump)
        let seqs = dumped.all.compactMap { UInt64($0.split(separator: " ")[0].dropFirst(2)) }
        #expect(seqs == Array(seqs.first!...1_500), "archived and live records in seq order, no gap")
        if keep > 0 {
            let archivedFirst = archive.entries().first!.manifest.streams[0]!.firstSeq
            #expect(seqs.first == archivedFirst && archivedFirst < firstLive)
        } else {
            #expect(seqs.first == firstLive)
        }

        // Message GC purges instead: covered live segments are deleted, not archived, and so are the
        // archived segments its snapshots cover.
        let gcLog = try open(data, clock: clock, keep: keep)
        let purged = try gcLog.removeCoveredSegments(covered: [0: 1_400, 1: 1_400], replicated: nil, purge: true)
        #expect(!purged.isEmpty && purged.allSatisfy { $0.action == .removed })
        #expect(archive.entries().isEmpty)
        #expect(purged.filter { $0.fileBytes == 0 }.map(\.id) == Array(expected.suffix(keep)))
        await gcLog.close()
    }
}
