import CourierCore
@testable import CourierLog
import Foundation
import Glibc
import CourierTesting
import Logging
import Testing

/// What only the LMDB log does: segments, manifests, read-only opens beside the writer.
@Suite struct LMDBSegmentTests {
    @Test func smallSegmentsSealAndReadsSpanThem() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        var log = try fixture.open(segmentSizeBytes: 256 << 10)
        for round in 0..<40 {
            let entries = (0..<50).map { LogEntry.testSend(shard: UInt16($0 % 2), index: round * 50 + $0, bodyBytes: 400) }
            _ = try await log.append(entries)
        }
        let lmdb = try #require(log as? LMDBEventLog)
        let segments = lmdb.segments()
        #expect(segments.count >= 3)
        #expect(segments.dropLast().allSatisfy { $0.sealed })
        #expect(segments.last?.sealed == false)
        #expect(segments.reduce(0) { $0 + $1.recordCount } == 2000)
        for shard in UInt16(0)..<2 {
            let records = try log.read(shard: shard, fromSeq: 1, limit: 5000)
            #expect(records.map(\.seq) == Array(1...1000))
        }
        await log.close()
        log = try fixture.open(segmentSizeBytes: 256 << 10)
        let reopened = try #require(log as? LMDBEventLog).segments()
        #expect(reopened.map(\.id) == segments.map(\.id))
        #expect(reopened.map(\.recordCount) == segments.map(\.recordCount))
        #expect(reopened.map(\.checksum) == segments.map(\.checksum))
        #expect(try log.read(shard: 1, fromSeq: 990, limit: 100).map(\.seq) == Array(990...1000))
        await log.close()
    }

    /// Message GC's paced removal (a nice-10 thread, blocks cut a slice at a time once the segment's
    /// environment is closed) takes out exactly what the plain removal would, and the files are gone.
    @Test func pacedRemovalTakesTheCoveredSegmentsAndTheirFiles() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let log = try #require(try fixture.open(segmentSizeBytes: 256 << 10) as? LMDBEventLog)
        for round in 0..<40 {
            _ = try await log.append((0..<50).map { LogEntry.testSend(shard: UInt16($0 % 2), index: round * 50 + $0, bodyBytes: 400) })
        }
        let covered: [UInt16: UInt64] = [0: 700, 1: 700]
        let expected = log.removableSegments(covered: covered, replicated: nil)
        #expect(expected.count >= 2)
        let removed = try await log.removeCoveredSegmentsInBackground(covered: covered, replicated: nil, purge: true)
        #expect(removed.map(\.id) == expected && removed.allSatisfy { $0.action == .removed && $0.fileBytes > 0 })
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture.logDirectory)
        for id in expected { #expect(!names.contains { $0.hasPrefix(removed.first { $0.id == id }!.name) }) }
        #expect(log.segments().allSatisfy { !expected.contains($0.id) })
        #expect(try log.read(shard: 0, fromSeq: 990, limit: 100).map(\.seq) == Array(990...1000))
        await log.close()
    }

    /// An unlinked file is cut down to nothing a slice at a time.
    @Test func freeingGraduallyCutsAFileToNothing() throws {
        let directory = try TemporaryDirectory("courier-free")
        defer { directory.remove() }
        let path = directory.path + "/segment.mdb"
        let slices = 2 * LMDBEventLog.freeSliceBytes + 12_345
        FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: slices))
        let descriptor = open(path, O_RDWR)
        #expect(descriptor >= 0)
        defer { Glibc.close(descriptor) }
        try FileManager.default.removeItem(atPath: path)
        LMDBEventLog.freeGradually(descriptor)
        var status = stat()
        #expect(fstat(descriptor, &status) == 0)
        #expect(status.st_size == 0 && status.st_blocks == 0)
    }

    @Test func readOnlyOpenSeesTheWritersRecords() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let log = try fixture.open()
        _ = try await log.append((0..<10).map { .testSend(shard: 0, index: $0) })
        await log.close()
        var configuration = LMDBEventLog.Configuration()
        configuration.readOnly = true
        let reader = try fixture.openLMDB(configuration)
        #expect(try reader.read(shard: 0, fromSeq: 1, limit: 100).count == 10)
        await #expect(throws: LogError.self) { try await reader.append(.testSend(shard: 0, index: 11)) }
        await reader.close()
    }

    @Test func missingDirectoryIsAClearErrorInReadOnlyMode() throws {
        var configuration = LMDBEventLog.Configuration()
        configuration.readOnly = true
        #expect(throws: LogError.self) {
            _ = try LMDBEventLog(
                directory: "/nonexistent/courier/log", configuration: configuration, clock: { .zero },
                logger: Logger(label: "test"))
        }
    }
}

@Suite struct SegmentPrefillTests {
    /// The active segment's file is written with zeros ahead of LMDB's pages, never past the segment
    /// size; a log reopened on such a file goes on appending after its records, and sealed files end at
    /// the segment size or their last commit.
    @Test func theActiveFileIsWrittenAheadAndReopensCleanly() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        var configuration = LMDBEventLog.Configuration()
        configuration.segmentSizeBytes = 1 << 20
        configuration.prefillBytes = 512 << 10
        var log = try fixture.openLMDB(configuration)
        _ = try await log.append((0..<20).map { LogEntry.testSend(shard: 0, index: $0, bodyBytes: 400) })
        // ~10 KiB of records; the file reaches used + 512 KiB within moments.
        var fileBytes = 0
        for _ in 0..<200 {
            fileBytes = log.segments().last?.fileBytes ?? 0
            if fileBytes >= 512 << 10 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(fileBytes >= 512 << 10)
        #expect(fileBytes <= configuration.segmentSizeBytes)
        await log.close()

        log = try fixture.openLMDB(configuration)
        #expect(log.lastSeq(shard: 0) == 20)
        for round in 0..<12 {
            _ = try await log.append((0..<50).map { LogEntry.testSend(shard: 0, index: 20 + round * 50 + $0, bodyBytes: 4000) })
        }
        let segments = log.segments()
        #expect(segments.count >= 2)
        for segment in segments.dropLast() {
            #expect(segment.sealed)
            #expect(segment.fileBytes >= configuration.segmentSizeBytes)
            #expect(segment.fileBytes < configuration.segmentSizeBytes + (300 << 10))
        }
        #expect(segments.reduce(0) { $0 + $1.recordCount } == 620)
        #expect(try log.read(shard: 0, fromSeq: 1, limit: 1000).map(\.seq) == Array(1...620))
        await log.close()
    }
}

@Suite struct LMDBMapGrowthTests {
    @Test func mapFullGrowsTheMapInsteadOfFailing() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        var configuration = LMDBEventLog.Configuration()
        configuration.initialMapSizeBytes = 256 << 10
        configuration.segmentSizeBytes = 64 << 20
        let log = try fixture.openLMDB(configuration)
        // 4 MiB of records into a 256 KiB map: every doubling is exercised, no append fails.
        for round in 0..<64 {
            let entries = (0..<16).map { LogEntry(shard: 0, epoch: 1, kind: .send, payload: [UInt8](repeating: UInt8(round), count: 4096 + $0)) }
            _ = try await log.append(entries)
        }
        #expect(log.lastSeq(shard: 0) == 1024)
        #expect(log.segments().count == 1)
        let records = try log.read(shard: 0, fromSeq: 1, limit: 2000)
        #expect(records.count == 1024)
        #expect(records.last?.payload.count == 4096 + 15)
        await log.close()
    }
}
