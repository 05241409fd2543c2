import CourierCore
import CourierLog
import CourierTesting
import Testing

/// The contract every `EventLog` keeps (eventlog.md §3–5), run against each implementation.
@Suite struct LogConformanceTests {
    @Test(arguments: LogUnderTest.allCases)
    func seqsStartAtOneAndAreGapFreePerStream(kind: LogUnderTest) async throws {
        let fixture = try LogFixture(kind)
        defer { fixture.remove() }
        let log = try fixture.open()
        var positions: [LogPosition] = []
        for index in 0..<30 {
            positions.append(try await log.append(.testSend(shard: UInt16(index % 3), index: index)))
        }
        for shard in UInt16(0)..<3 {
            let seqs = positions.filter { $0.shard == shard }.map(\.seq)
            #expect(seqs == Array(1...10))
            #expect(log.lastSeq(shard: shard) == 10)
        }
        #expect(log.lastSeq(shard: 7) == 0)
        await log.close()
    }

    @Test(arguments: LogUnderTest.allCases)
    func readReturnsExactlyWhatWasAppended(kind: LogUnderTest) async throws {
        let fixture = try LogFixture(kind)
        defer { fixture.remove() }
        let log = try fixture.open()
        var entries: [LogEntry] = []
        for index in 0..<50 { entries.append(.testSend(shard: 2, index: index, epoch: 3)) }
        _ = try await log.append(entries)
        let all = try log.read(shard: 2, fromSeq: 1, limit: 1000)
        #expect(all.map(\.payload) == entries.map(\.payload))
        #expect(all.map(\.seq) == Array(1...50))
        #expect(all.allSatisfy { $0.epoch == 3 && $0.kind == .send && $0.shard == 2 })
        let middle = try log.read(shard: 2, fromSeq: 10, limit: 5)
        #expect(middle.map(\.seq) == [10, 11, 12, 13, 14])
        #expect(try log.read(shard: 2, fromSeq: 51, limit: 10).isEmpty)
        #expect(try log.read(shard: 1, fromSeq: 1, limit: 10).isEmpty)
        var visited: [UInt64] = []
        try log.forEachRecord(shard: 2, fromSeq: 1, chunk: 7) { visited.append($0.seq) }
        #expect(visited == Array(1...50))
        await log.close()
    }

    @Test(arguments: LogUnderTest.allCases)
    func timestampsComeFromTheClockAndNeverGoBack(kind: LogUnderTest) async throws {
        let fixture = try LogFixture(kind)
        defer { fixture.remove() }
        let log = try fixture.open()
        let start = fixture.clock.now
        let first = try await log.append(.testSend(shard: 0, index: 0))
        #expect(first.timestamp == start)
        fixture.clock.advance(microseconds: -5_000_000)
        let second = try await log.append(.testSend(shard: 0, index: 1))
        #expect(second.timestamp == start)
        fixture.clock.advance(microseconds: 10_000_000)
        let third = try await log.append(.testSend(shard: 0, index: 2))
        #expect(third.timestamp.microseconds == start.microseconds + 5_000_000)
        let records = try log.read(shard: 0, fromSeq: 1, limit: 10)
        #expect(records.map(\.timestamp) == [first.timestamp, second.timestamp, third.timestamp])
        await log.close()
    }

    @Test(arguments: LogUnderTest.allCases)
    func concurrentAppendersGetDistinctGapFreeSeqs(kind: LogUnderTest) async throws {
        let fixture = try LogFixture(kind)
        defer { fixture.remove() }
        let log = try fixture.open()
        let positions = try await withThrowingTaskGroup(of: [LogPosition].self) { group in
            for appender in 0..<64 {
                group.addTask {
                    var mine: [LogPosition] = []
                    for index in 0..<20 {
                        mine.append(try await log.append(.testSend(shard: UInt16(appender % 4), index: index)))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        for shard in UInt16(0)..<4 {
            let seqs = positions.filter { $0.shard == shard }.map(\.seq).sorted()
            #expect(seqs == Array(1...320))
            #expect(try log.read(shard: shard, fromSeq: 1, limit: 1000).count == 320)
        }
        await log.close()
    }

    @Test(arguments: LogUnderTest.allCases)
    func oneAppendCallIsContiguousInEachStream(kind: LogUnderTest) async throws {
        let fixture = try LogFixture(kind)
        defer { fixture.remove() }
        let log = try fixture.open()
        async let other: Void = {
            for index in 0..<20 { _ = try await log.append(.testSend(shard: 1, index: index)) }
        }()
        let batch = (0..<10).map { LogEntry.testSend(shard: 1, index: 100 + $0) }
        let positions = try await log.append(batch)
        try await other
        let seqs = positions.map(\.seq)
        #expect(seqs == Array(seqs[0]..<(seqs[0] + 10)))
        await log.close()
    }

    @Test(arguments: LogUnderTest.allCases)
    func reopenKeepsEveryAcknowledgedRecordAndContinuesSeqs(kind: LogUnderTest) async throws {
        let fixture = try LogFixture(kind)
        defer { fixture.remove() }
        var log = try fixture.open()
        for index in 0..<25 { _ = try await log.append(.testSend(shard: UInt16(index % 2), index: index, epoch: 4)) }
        let before = try log.read(shard: 0, fromSeq: 1, limit: 100) + log.read(shard: 1, fromSeq: 1, limit: 100)
        await log.close()
        log = try fixture.open()
        let after = try log.read(shard: 0, fromSeq: 1, limit: 100) + log.read(shard: 1, fromSeq: 1, limit: 100)
        #expect(after == before)
        #expect(log.streams().map(\.shard) == [0, 1])
        #expect(log.streams().map(\.lastSeq) == [13, 12])
        #expect(log.streams().allSatisfy { $0.epoch == 4 && $0.firstSeq == 1 })
        let next = try await log.append(.testSend(shard: 1, index: 99, epoch: 4))
        #expect(next.seq == 13)
        await log.close()
    }

    @Test(arguments: LogUnderTest.allCases)
    func oversizedPayloadIsRejectedAndNothingIsAppended(kind: LogUnderTest) async throws {
        let fixture = try LogFixture(kind)
        defer { fixture.remove() }
        let log = try fixture.open()
        let big = LogEntry(shard: 0, epoch: 1, kind: .send, payload: [UInt8](repeating: 1, count: Record.maximumPayloadBytes + 1))
        await #expect(throws: LogError.self) { try await log.append([.testSend(shard: 0, index: 0), big]) }
        #expect(log.lastSeq(shard: 0) == 0)
        let exact = LogEntry(shard: 0, epoch: 1, kind: .send, payload: [UInt8](repeating: 1, count: Record.maximumPayloadBytes))
        #expect(try await log.append(exact).seq == 1)
        await log.close()
    }

    @Test(arguments: LogUnderTest.allCases)
    func appendAfterCloseFails(kind: LogUnderTest) async throws {
        let fixture = try LogFixture(kind)
        defer { fixture.remove() }
        let log = try fixture.open()
        _ = try await log.append(.testSend(shard: 0, index: 0))
        await log.close()
        await #expect(throws: LogError.self) { try await log.append(.testSend(shard: 0, index: 1)) }
    }

    @Test(arguments: LogUnderTest.allCases)
    func unknownKindsAreStoredAndReadBack(kind: LogUnderTest) async throws {
        let fixture = try LogFixture(kind)
        defer { fixture.remove() }
        let log = try fixture.open()
        _ = try await log.append(LogEntry(shard: 5, epoch: 1, kindCode: 999, payload: [1, 2, 3]))
        let record = try #require(try log.read(shard: 5, fromSeq: 1, limit: 1).first)
        #expect(record.kindCode == 999)
        #expect(record.kind == nil)
        #expect(try Event.decode(record) == nil)
        await log.close()
    }

    @Test(arguments: LogUnderTest.allCases)
    func controlStreamIsAStreamLikeAnyOther(kind: LogUnderTest) async throws {
        let fixture = try LogFixture(kind)
        defer { fixture.remove() }
        let log = try fixture.open()
        _ = try await log.append(.testSend(shard: 31, index: 0))
        let position = try await log.append(.testSend(shard: Record.controlShard, index: 0))
        #expect(position.seq == 1)
        #expect(log.streams().map(\.shard) == [31, Record.controlShard])
        await log.close()
    }
}
