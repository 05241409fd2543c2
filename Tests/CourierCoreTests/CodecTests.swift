import CourierCore
import Testing

@Suite struct CodecTests {
    @Test func crc32cMatchesTheStandardCheckValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        // Continuing over a split equals one pass, whatever the split (slice-by-8 edges included).
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let first = CRC32C.checksum(bytes[..<split])
            #expect(CRC32C.checksum(bytes[split...], continuing: first) == CRC32C.checksum(bytes))
        }
    }

    /// The CPU instruction path and the table path agree on every length and alignment.
    @Test func hardwareAndTableChecksumsAgree() {
        var random = SeededRandom(seed: 32)
        let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }
        bytes.withUnsafeBytes { all in
            for _ in 0..<2000 {
                let start = Int.random(in: 0..<64, using: &random)
                let end = Int.random(in: start...min(all.count, start + Int.random(in: 0...300, using: &random)), using: &random)
                let slice = UnsafeRawBufferPointer(rebasing: all[start..<end])
                let seed = UInt32.random(in: 0...UInt32.max, using: &random)
                #expect(CRC32C.checksum(slice, continuing: seed) == CRC32C.softwareChecksum(slice, continuing: seed))
            }
        }
        #expect(CRC32C.softwareChecksum(UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    }

    @Test func shardHashMatchesTheSpecVectors() {
        #expect(ShardHash.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(ShardHash.fnv1a64("16315551000") == 0x718e_9930_1078_253e)
        #expect(ShardHash.fnv1a64("16315551001") == 0x718e_9a30_1078_26f1)
        #expect(ShardHash.fnv1a64("447700900123") == 0x0b63_1320_2883_0f32)
        #expect(ShardHash.fnv1a64("5511987654321") == 0x489f_2622_25a4_a870)
        let table: [(String, [UInt16])] = [
            ("16315551000", [0, 2, 6, 14, 30]), ("16315551001", [1, 1, 1, 1, 17]),
            ("447700900123", [0, 2, 2, 2, 18]), ("5511987654321", [0, 0, 0, 0, 16]),
        ]
        for (waID, shards) in table {
            #expect([2, 4, 8, 16, 32].map { ShardHash.shard(of: waID, shardCount: $0) } == shards)
            #expect(ShardHash.shard(of: waID, shardCount: 1) == 0)
        }
    }

    @Test func consecutiveNumbersSpreadEvenlyOverThirtyTwoShards() {
        var counts = [Int](repeating: 0, count: 32)
        for number in 0..<100_000 { counts[Int(ShardHash.shard(of: String(16_315_500_000 + number), shardCount: 32))] += 1 }
        let mean = 100_000.0 / 32
        #expect(counts.allSatisfy { abs(Double($0) - mean) / mean < 0.01 })
    }

    @Test func recordRoundTripsEveryField() throws {
        let record = Record(
            shard: Record.controlShard, seq: 0x0102_0304_0506_0708, epoch: 7,
            timestamp: Timestamp(microseconds: 1_795_000_000_123_456), kindCode: 999, payload: Array(0...255))
        let bytes = record.encoded()
        #expect(bytes.count == record.encodedCount)
        #expect(Array(bytes.prefix(4)) == Array("CRLG".utf8))
        let decoded = try Record.decode(bytes)
        #expect(decoded == record)
        #expect(decoded.kind == nil)
        #expect(Record.key(shard: 1, seq: 2) == [0, 1, 0, 0, 0, 0, 0, 0, 0, 2])
    }

    @Test func everyFlippedByteIsDetected() throws {
        let record = Record(shard: 3, seq: 9, epoch: 1, timestamp: Timestamp(microseconds: 5), kind: .send, payload: Array("payload".utf8))
        let bytes = record.encoded()
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0x40
            #expect(throws: RecordError.self) { try Record.decode(damaged) }
        }
        #expect(throws: RecordError.self) { try Record.decode(Array(bytes.dropLast())) }
        #expect(throws: RecordError.self) { try Record.decode([]) }
    }

    @Test func newerFormatVersionIsAClearError() {
        var bytes = Record(shard: 0, seq: 1, epoch: 1, timestamp: .zero, kind: .send, payload: []).encoded()
        bytes[4] = 9
        #expect(throws: RecordError.self) { try Record.decode(bytes) }
        do {
            _ = try Record.decode(bytes)
        } catch let error as RecordError {
            #expect(error.code == .unsupportedVersion)
            #expect(error.message.contains("newer"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func eventsRoundTrip() throws {
        let events: [Event] = [
            .send(SendEvent(messageID: "gBGx", to: "16315551000", type: "text", content: Array("{\"body\":\"hi\"}".utf8), idempotencyKey: "k", mediaIDs: ["m1"])),
            .status(StatusEvent(messageID: "gBGx", waID: "16315551000", status: .delivered, networkTimestamp: Timestamp(microseconds: -5))),
            .markRead(MarkReadEvent(messageID: "ABGy")),
            .shardChange(ShardChangeEvent(action: .reshardBegin, shardCount: 4, shard: 3, ownerNodeKey: "n:1", epoch: 2, boundarySeq: 10, parentShard: 1)),
        ]
        for event in events {
            #expect(try Event.decode(kind: event.kind, payload: event.encodedPayload()) == event)
            var truncated = event.encodedPayload()
            truncated.removeLast()
            #expect(throws: RecordError.self) { try Event.decode(kind: event.kind, payload: truncated) }
        }
        #expect(throws: RecordError.self) { try Event.decode(kind: .send, payload: []) }
        #expect(throws: RecordError.self) { try Event.decode(kind: .send, payload: [9]) }
    }

    @Test func timestampsFormatAndParseRFC3339() throws {
        let time = Timestamp(microseconds: 1_795_370_701_123_456)
        #expect(time.description == "2026-11-22T18:05:01.123456Z")
        #expect(Timestamp(rfc3339: "2026-11-22T18:05:01.123456Z") == time)
        #expect(Timestamp(rfc3339: "2026-11-22T18:05:01Z")?.microseconds == 1_795_370_701_000_000)
        #expect(Timestamp(rfc3339: "2026-11-22T19:05:01+01:00")?.microseconds == 1_795_370_701_000_000)
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59Z")?.microseconds == -1_000_000)
        #expect(Timestamp(microseconds: -1).description == "1969-12-31T23:59:59.999999Z")
        for bad in ["", "2026-11-22", "2026-13-01T00:00:00Z", "2026-11-22T18:05:01", "2026-11-22T18:05:01.Z", "x026-11-22T18:05:01Z"] {
            #expect(Timestamp(rfc3339: bad) == nil, "\(bad)")
        }
    }
}
