@testable import CourierCore
import Testing

/// Message GC in the pure shard state: eligibility, bounded steps, and the compaction invariant
/// `replay(compact(log)) = replay(log)` minus exactly the collected messages (eventlog.md §7).
@Suite struct ShardStateGCTests {
    /// A history under construction: the live state decides, every event becomes the next record.
    struct History {
        var state = ShardState(shard: 0)
        var records: [Record] = []
        var time: Int64 = 1_000
        var nextID = 0
        var random: SeededRandom

        init(seed: UInt64) { random = SeededRandom(seed: seed) }

        mutating func append(_ event: Event) {
            time += Int64.random(in: 1...10, using: &random)
            let record = Record(
                shard: 0, seq: UInt64(records.count + 1), epoch: 1, timestamp: Timestamp(microseconds: time), kind: event.kind,
                payload: event.encodedPayload())
            records.append(record)
            _ = try! state.apply(record)
        }

        mutating func send() {
            nextID += 1
            let key: String? = nextID % 4 == 0 ? "k\(nextID)" : nil
            append(.send(SendEvent(messageID: "m\(nextID)", to: "1631555\(nextID % 7)", type: "text", content: [UInt8(nextID % 251)], idempotencyKey: key)))
        }

        mutating func status() {
            guard nextID > 0 else { return }
            let id = "m\(Int.random(in: 1...nextID, using: &random))"
            let status = [MessageStatus.sent, .delivered, .read, .failed, .deleted].randomElement(using: &random)!
            append(.status(StatusEvent(messageID: id, waID: "x", status: status, networkTimestamp: .zero)))
        }

        mutating func traffic() {
            if Bool.random(using: &random) { send() } else { status() }
        }

        /// A whole GC pass; with `interleave`, traffic lands between its records. Returns the ids it collected.
        mutating func gcPass(run: String, retention: Int64, stepLimit: Int, interleave: Bool) -> Set<String> {
            let before = Set(state.messages.keys)
            while true {
                switch state.gcNext(runID: run, retentionMicroseconds: retention, stepLimit: stepLimit) {
                case .begin(let event), .step(let event):
                    append(.gc(event))
                case .finish:
                    append(.snapshot(SnapshotEvent(snapshotID: "0/\(state.appliedSeq)", coveredSeq: state.appliedSeq, formatVersion: 2, bytes: 0, checksum: 0)))
                    append(.gc(state.gcEnd(snapshotSeq: state.appliedSeq - 1)!))
                    return before.subtracting(state.messages.keys)
                }
                if interleave { for _ in 0..<Int.random(in: 0...3, using: &random) { traffic() } }
            }
        }
    }

    static func replay(_ records: some Sequence<Record>, from start: ShardState = ShardState(shard: 0)) -> ShardState {
        var state = start
        for record in records { _ = try! state.apply(record) }
        return state
    }

    /// The same log with every `gc` record made inert (a mark-read of nothing): what the state
    /// would be had nothing been collected.
    static func withoutGC(_ records: [Record]) -> [Record] {
        records.map { record in
            guard record.kind == .gc else { return record }
            let inert = Event.markRead(MarkReadEvent(messageID: "-"))
            return Record(
                shard: record.shard, seq: record.seq, epoch: record.epoch, timestamp: record.timestamp, kind: .markRead,
                payload: inert.encodedPayload())
        }
    }

    @Test func ruleCollectsTerminalAndOldMessagesButNeverUnsent() {
        let rule = GCRule(cutoff: Timestamp(microseconds: 10_000), retentionMicroseconds: 1_000)
        func message(_ status: MessageStatus, at time: Int64) -> OutboundMessage {
            OutboundMessage(
                to: "1", type: "text", createdAt: .zero, status: status, statusAt: Timestamp(microseconds: time), bodyDigest: 0,
                idempotencyKey: nil)
        }
        #expect(rule.collects(message(.read, at: 9_999)))
        #expect(rule.collects(message(.failed, at: 9_999)))
        #expect(!rule.collects(message(.delivered, at: 9_500)))
        #expect(rule.collects(message(.delivered, at: 8_999)))
        #expect(rule.collects(message(.sent, at: 100)))
        #expect(!rule.collects(message(.accepted, at: 0)))  // still owed to the network
    }

    @Test func stepsCollectAtMostTheLimitInCreationOrder() {
        var history = History(seed: 1)
        for _ in 0..<25 { history.send() }
        for id in 1...25 where id != 3 {
            history.append(.status(StatusEvent(messageID: "m\(id)", waID: "x", status: .read, networkTimestamp: .zero)))
        }
        guard case .begin(let begin) = history.state.gcNext(runID: "gc-000001", retentionMicroseconds: 1 << 40, stepLimit: 10) else {
            Issue.record("expected a begin")
            return
        }
        history.append(.gc(begin))
        #expect(history.state.gcRun?.cutoff == history.records.last?.timestamp)
        guard case .step(let step) = history.state.gcNext(runID: "ignored", retentionMicroseconds: 0) else {
            Issue.record("expected a step")
            return
        }
        #expect(step.runID == "gc-000001" && step.stepLimit == 10)
        history.append(.gc(step))
        // m1…m11 without m3 (unsent): the ten oldest eligible.
        #expect(history.state.messages.count == 15)
        #expect(history.state.messages["m3"] != nil && history.state.messages["m12"] != nil && history.state.messages["m11"] == nil)
        // A message created after begin is not this run's, even when eligible.
        history.send()
        history.append(.status(StatusEvent(messageID: "m26", waID: "x", status: .read, networkTimestamp: .zero)))
        while case .step(let next) = history.state.gcNext(runID: "-", retentionMicroseconds: 0) { history.append(.gc(next)) }
        #expect(history.state.gcRun?.messagesDeleted == 24)
        #expect(Set(history.state.messages.keys) == ["m3", "m26"])
        #expect(history.state.pendingMessages == 1)
        history.append(.gc(history.state.gcEnd(snapshotSeq: 99)!))
        #expect(history.state.gcRun == nil)
        #expect(history.state.lastGC?.messagesDeleted == 24 && history.state.lastGC?.snapshotSeq == 99)
        #expect(Array(history.state.creationOrder) == ["m3", "m26"])
    }

    /// Seeded random histories without traffic inside a pass: each pass collects exactly the
    /// messages the rule selects at its begin, and replay from any snapshot equals full replay.
    @Test(arguments: 0..<12)
    func compactionInvariantWithoutInterleaving(seed: UInt64) throws {
        var history = History(seed: seed &* 7919 &+ 1)
        let retention: Int64 = 300
        var collected: Set<String> = []
        for run in 1...4 {
            for _ in 0..<Int.random(in: 20...120, using: &history.random) { history.traffic() }
            let cutoffGuess = history.state
            let passStart = history.records.count
            let removed = history.gcPass(
                run: "gc-\(run)", retention: retention, stepLimit: Int.random(in: 1...15, using: &history.random), interleave: false)
            // The oracle: the rule over the state just before begin, judged at the begin record's time.
            let cutoff = history.records[passStart].timestamp
            let rule = GCRule(cutoff: cutoff, retentionMicroseconds: retention)
            let expected = Set(cutoffGuess.messages.filter { rule.collects($0.value) }.keys)
            #expect(removed == expected, "seed \(seed) run \(run)")
            collected.formUnion(removed)
        }
        for _ in 0..<30 { history.traffic() }
        let full = Self.replay(history.records)
        #expect(full == history.state)
        let uncollected = Self.replay(Self.withoutGC(history.records))
        var expectedMessages = uncollected.messages
        for id in collected { expectedMessages[id] = nil }
        #expect(full.messages == expectedMessages, "seed \(seed)")
        #expect(!collected.isEmpty && full.messages.count + collected.count == uncollected.messages.count)
        try checkSnapshotsAtEveryCut(history.records, full: full, stride: 7)
    }

    /// Traffic between steps: snapshots taken mid-run (positions remapped without holes) still
    /// replay to exactly the full replay's state, and later passes collect the same.
    @Test(arguments: 0..<12)
    func compactionInvariantWithInterleaving(seed: UInt64) throws {
        var history = History(seed: seed &* 104_729 &+ 3)
        for run in 1...3 {
            for _ in 0..<Int.random(in: 20...80, using: &history.random) { history.traffic() }
            _ = history.gcPass(run: "gc-\(run)", retention: 200, stepLimit: Int.random(in: 1...6, using: &history.random), interleave: true)
        }
        let full = Self.replay(history.records)
        try checkSnapshotsAtEveryCut(history.records, full: full, stride: 3)
    }

    func checkSnapshotsAtEveryCut(_ records: [Record], full: ShardState, stride: Int) throws {
        var prefix = ShardState(shard: 0)
        for (index, record) in records.enumerated() {
            _ = try prefix.apply(record)
            guard index % stride == 0 else { continue }
            let restored = try ShardState(snapshot: prefix.snapshotPayload())
            #expect(restored == prefix)
            let resumed = Self.replay(records[(index + 1)...], from: restored)
            #expect(resumed == full, "cut after seq \(record.seq)")
            #expect(resumed.snapshotPayload() == full.snapshotPayload(), "cut after seq \(record.seq)")
        }
    }

    @Test func newEventsRoundTrip() throws {
        let gc = GCEvent(
            phase: .end, runID: "gc-000017", cutoff: Timestamp(microseconds: 5), retentionMicroseconds: 86_400_000_000 * 30,
            stepLimit: 10_000, messagesDeleted: 51_200, snapshotSeq: 1_800_000, outcome: "complete")
        #expect(try GCEvent(decoding: gc.encoded()) == gc)
        let rotation = RotationEvent(segmentID: 42, action: .removed, firstSeq: 1, lastSeq: 99)
        #expect(try RotationEvent(decoding: rotation.encoded()) == rotation)
        let snapshot = SnapshotEvent(snapshotID: "0/99", coveredSeq: 99, formatVersion: 2, bytes: 1234, checksum: 0x9b1f_04aa)
        #expect(try SnapshotEvent(decoding: snapshot.encoded()) == snapshot)
        #expect(try Event.decode(kind: .gc, payload: gc.encoded()) == .gc(gc))
        #expect(Event.gc(gc).json["messages_deleted"] == .integer(51_200))
        #expect(Event.snapshot(snapshot).json["checksum"] == .string("crc32c:9b1f04aa"))
        #expect(throws: RecordError.self) { try GCEvent(decoding: [2] + gc.encoded().dropFirst()) }
    }

    @Test func autoScheduleRunsOncePerIntervalWhenEnabled() {
        var schedule = AutoGCSchedule(intervalSeconds: 3600, startedAt: Timestamp(microseconds: 0))
        let hour: Int64 = 3_600_000_000
        var decisions: [Bool] = []
        for (time, enabled, running) in [
            (hour - 1, true, false), (hour, false, false), (hour, true, true), (hour + 5, true, false),
            (hour + 10, true, false), (2 * hour + 4, true, false), (2 * hour + 5, true, false),
        ] {
            decisions.append(schedule.shouldStart(now: Timestamp(microseconds: time), enabled: enabled, running: running))
        }
        #expect(decisions == [false, false, false, true, false, false, true])
    }
}
