import CourierCore
import Testing

/// Control-stream snapshots (eventlog.md §7): replaying a snapshot plus the records after it gives the state
/// replaying every record gives, for random histories of users, tokens, settings, account and shard map.
@Suite struct ControlSnapshotTests {
    /// A random control history: user, token, settings, account and shard-map records, plus unknown kinds.
    static func history(seed: UInt64, count: Int) -> [Record] {
        var random = SeededRandom(seed: seed)
        var records: [Record] = []
        var time = Timestamp(microseconds: 1_795_000_000_000_000)
        let names = ["admin", "ops1", "ops2", "viewer", "é-user"]
        var digests: [String] = []
        for seq in 1...UInt64(count) {
            time = time.advanced(by: .seconds(Int64.random(in: 1...90_000, using: &random)))
            let username = names.randomElement(using: &random)!
            let event: Event?
            switch Int.random(in: 0..<12, using: &random) {
            case 0, 1:
                event = .userChange(
                    UserChangeEvent(
                        action: .created, username: username, passwordHash: "h-\(seq)",
                        passwordChangeRequired: Bool.random(using: &random)))
            case 2:
                event = .userChange(
                    UserChangeEvent(
                        action: .passwordChanged, username: username, passwordHash: "h2-\(seq)",
                        keptTokenDigest: digests.randomElement(using: &random)))
            case 3:
                event = .userChange(UserChangeEvent(action: .deleted, username: username))
            case 4, 5, 6:
                let digest = "t-\(seq)"
                digests.append(digest)
                event = .token(
                    TokenEvent(
                        action: .issued, tokenDigest: digest, username: username,
                        expiresAt: time.advanced(by: .seconds(Int64.random(in: 60...700_000, using: &random)))))
            case 7:
                let digest = digests.randomElement(using: &random) ?? "t-none"
                event = .token(TokenEvent(action: .revoked, tokenDigest: digest, username: username, expiresAt: time))
            case 8:
                let section = ["application", "profile/about", "business/profile"].randomElement(using: &random)!
                let patch: JSONObject = [
                    "webhooks": ["url": .string("https://h\(seq).example/hook")], "n\(seq % 5)": .integer(Int64(seq)),
                    "flag": .bool(Bool.random(using: &random)), "gone": .null,
                ]
                event = .settingsChange(SettingsChangeEvent(section: section, patch: patch, reset: Bool.random(using: &random)))
            case 9:
                let action = AccountChangeEvent.Action.allCases.randomElement(using: &random)!
                event = .accountChange(
                    AccountChangeEvent(
                        action: action, cc: "1", phoneNumber: "55501\(seq % 3)", method: "sms", vname: "Shop \(seq)",
                        pinHash: action == .twoStepSet ? "pin-\(seq)" : nil))
            case 10:
                event = .shardChange(
                    ShardChangeEvent(
                        action: .assigned, shardCount: Int.random(in: 1...64, using: &random), shard: 0, ownerNodeKey: "n:1",
                        epoch: 1))
            default:
                event = nil  // a kind this build does not know
            }
            if let event {
                records.append(
                    Record(shard: Record.controlShard, seq: seq, epoch: 1, timestamp: time, kind: event.kind, payload: event.encodedPayload()))
            } else {
                records.append(Record(shard: Record.controlShard, seq: seq, epoch: 1, timestamp: time, kindCode: 900, payload: [1, 2]))
            }
        }
        return records
    }

    static func replay(_ records: some Sequence<Record>, from state: ControlState = ControlState()) throws -> ControlState {
        var state = state
        for record in records { try state.apply(record) }
        return state
    }

    @Test(arguments: [UInt64(1), 2, 3, 17, 99, 2026])
    func snapshotPlusLaterRecordsReplaysLikeEveryRecord(seed: UInt64) throws {
        let records = Self.history(seed: seed, count: 400)
        let whole = try Self.replay(records)
        var random = SeededRandom(seed: seed &* 31)
        for _ in 0..<8 {
            let cut = Int.random(in: 0...records.count, using: &random)
            let prefix = try Self.replay(records[..<cut])
            let restored = try ControlState(snapshot: prefix.snapshotPayload())
            #expect(restored == prefix)
            #expect(restored.snapshotPayload() == prefix.snapshotPayload())
            #expect(try Self.replay(records[cut...], from: restored) == whole)
        }
        #expect(whole.users.isEmpty == false || whole.tokens.isEmpty)
    }

    @Test func theSnapshotKeepsUsersTokensSettingsAccountAndShardCount() throws {
        let records = Self.history(seed: 7, count: 600)
        let state = try Self.replay(records)
        let restored = try ControlState(snapshot: state.snapshotPayload())
        #expect(restored.users == state.users)
        #expect(restored.tokens == state.tokens)
        #expect(restored.tokenOrder == state.tokenOrder)
        #expect(restored.settings == state.settings)
        #expect(restored.account == state.account)
        #expect(restored.shardCount == state.shardCount)
        #expect(state.shardCount != nil)
        #expect(restored.unknownRecords == state.unknownRecords && state.unknownRecords > 0)
        #expect(restored.appliedSeq == 600)
    }

    @Test func damagedOrNewerSnapshotsAreRefused() throws {
        let state = try Self.replay(Self.history(seed: 5, count: 50))
        let bytes = state.snapshotPayload()
        #expect(throws: RecordError.self) { try ControlState(snapshot: Array(bytes.dropLast(3))) }
        #expect(throws: RecordError.self) { try ControlState(snapshot: bytes + [0]) }
        var newer = bytes
        newer[0] = ControlState.snapshotFormatVersion + 1
        #expect(throws: RecordError.self) { try ControlState(snapshot: newer) }
    }
}
