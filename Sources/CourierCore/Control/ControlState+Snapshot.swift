/// The control stream's state as bytes, for snapshots (eventlog.md §7): everything the control records
/// fold to (users, tokens in issue order, settings sections, the account, the shard count), so replay and
/// the shard map continue from the snapshot's seq once earlier control segments left the live log.
/// Pending reservations of commands in flight are not folded state and are not written.
extension ControlState {
    public static let snapshotFormatVersion: UInt8 = 1

    public func snapshotPayload() -> [UInt8] {
        var writer = PayloadWriter(version: Self.snapshotFormatVersion, capacity: 256 + tokens.count * 128)
        writer.write(appliedSeq)
        writer.write(epoch)
        writer.write(lastTimestamp.microseconds)
        writer.write(UInt64(unknownRecords))
        writer.write(shardCount.map { UInt64($0) + 1 } ?? 0)  // 0: no shard map recorded yet
        writer.write(UInt64(users.count))
        for username in users.keys.sorted() {
            let user = users[username]!
            writer.write(user.username)
            writer.write(user.passwordHash)
            writer.write(user.passwordChangeRequired)
            writer.write(user.createdAt.microseconds)
        }
        // Tokens per user in issue order, so the 100-token cap evicts the same ones after a restore.
        writer.write(UInt64(tokenOrder.count))
        for username in tokenOrder.keys.sorted() {
            let digests = tokenOrder[username]!
            writer.write(username)
            writer.write(UInt64(digests.count))
            for digest in digests {
                let token = tokens[digest]
                writer.write(digest)
                writer.write(token != nil)
                if let token {
                    writer.write(token.username)
                    writer.write(token.issuedAt.microseconds)
                    writer.write(token.expiresAt.microseconds)
                    writer.write(token.issueSeq)
                }
            }
        }
        // Tokens outside any order list (none are made by `apply`; kept so the fold round-trips whole).
        let ordered = Set(tokenOrder.values.joined())
        let loose = tokens.keys.filter { !ordered.contains($0) }.sorted()
        writer.write(UInt64(loose.count))
        for digest in loose {
            let token = tokens[digest]!
            writer.write(digest)
            writer.write(token.username)
            writer.write(token.issuedAt.microseconds)
            writer.write(token.expiresAt.microseconds)
            writer.write(token.issueSeq)
        }
        writer.write(bytes: JSONValue.object(settings).serialized())
        writer.write(account.registration != nil)
        if let registration = account.registration {
            writer.write(registration.cc)
            writer.write(registration.phoneNumber)
            writer.write(registration.vname)
            writer.write(registration.verifiedAt.microseconds)
        }
        writer.write(account.pending != nil)
        if let pending = account.pending {
            writer.write(pending.cc)
            writer.write(pending.phoneNumber)
            writer.write(pending.method)
            writer.write(pending.vname)
            writer.write(pending.requestedAt.microseconds)
        }
        writer.write(UInt64(account.twoStepPINs.count))
        for waID in account.twoStepPINs.keys.sorted() {
            writer.write(waID)
            writer.write(account.twoStepPINs[waID]!)
        }
        return writer.bytes
    }

    /// Restores a state from `snapshotPayload()` bytes; throws `RecordError` for damaged or newer data.
    public init(snapshot bytes: [UInt8]) throws {
        var reader = try PayloadReader(bytes)
        guard reader.version >= 1 && reader.version <= Self.snapshotFormatVersion else {
            throw RecordError(.unsupportedVersion, "control snapshot format v\(reader.version) is newer than this build")
        }
        self.init()
        appliedSeq = try reader.readUInt64()
        epoch = try reader.readUInt64()
        lastTimestamp = Timestamp(microseconds: try reader.readInt64())
        unknownRecords = try reader.readInt()
        let shards = try reader.readUInt64()
        shardCount = shards == 0 ? nil : Int(shards - 1)
        for _ in 0..<(try reader.readInt()) {
            let user = UserAccount(
                username: try reader.readString(), passwordHash: try reader.readString(),
                passwordChangeRequired: try reader.readBool(), createdAt: Timestamp(microseconds: try reader.readInt64()))
            users[user.username] = user
        }
        func readToken(_ digest: String) throws -> LiveToken {
            LiveToken(
                digest: digest, username: try reader.readString(), issuedAt: Timestamp(microseconds: try reader.readInt64()),
                expiresAt: Timestamp(microseconds: try reader.readInt64()), issueSeq: try reader.readUInt64())
        }
        for _ in 0..<(try reader.readInt()) {
            let username = try reader.readString()
            var order: [String] = []
            for _ in 0..<(try reader.readInt()) {
                let digest = try reader.readString()
                order.append(digest)
                if try reader.readBool() { tokens[digest] = try readToken(digest) }
            }
            tokenOrder[username] = order
        }
        for _ in 0..<(try reader.readInt()) {
            let digest = try reader.readString()
            tokens[digest] = try readToken(digest)
        }
        let settingsBytes = try reader.readBytes()
        guard case .object(let sections)? = try? JSONParser.parse(settingsBytes) else {
            throw RecordError(.malformedPayload, "control snapshot settings are not a JSON object")
        }
        settings = sections
        if try reader.readBool() {
            account.registration = AccountState.Registration(
                cc: try reader.readString(), phoneNumber: try reader.readString(), vname: try reader.readString(),
                verifiedAt: Timestamp(microseconds: try reader.readInt64()))
        }
        if try reader.readBool() {
            account.pending = AccountState.PendingRequest(
                cc: try reader.readString(), phoneNumber: try reader.readString(), method: try reader.readString(),
                vname: try reader.readString(), requestedAt: Timestamp(microseconds: try reader.readInt64()))
        }
        for _ in 0..<(try reader.readInt()) {
            let waID = try reader.readString()
            account.twoStepPINs[waID] = try reader.readString()
        }
        try reader.expectEnd()
    }
}
