/// `gc` (kind 12): one record of a message GC pass (eventlog.md §7). A step carries the rule inputs,
/// never message ids: applying it is a pure function of the state, so replay collects exactly the same.
public struct GCEvent: Hashable, Sendable {
    public enum Phase: String, CaseIterable, Hashable, Sendable {
        /// `result`: a node's run (message or media GC) ended; `document` is the service-result callback
        /// entry (webhooks.md §7), queued in this stream's outbox.
        case begin, step, end, result
    }

    public var phase: Phase
    public var runID: String
    /// The run's cut-off: the `begin` record's timestamp (zero in the `begin` payload itself).
    public var cutoff: Timestamp
    /// Age limit in microseconds (`COURIER_GC_RETENTION_DAYS`): a message whose last status is older
    /// than `cutoff - retention` is collected whatever that status is (operations.md §4).
    public var retentionMicroseconds: Int64
    /// At most this many messages per step (10 000).
    public var stepLimit: Int
    /// `end`: messages the run deleted on this stream.
    public var messagesDeleted: UInt64
    /// `end`: the seq covered by the snapshot taken at the end of the run (0 otherwise).
    public var snapshotSeq: UInt64
    /// `end`: `complete` or `failed` (empty otherwise).
    public var outcome: String
    /// `result`: the callback's `services[]` entry as compact JSON (payload v2; empty otherwise).
    public var document: [UInt8] = []

    public init(
        phase: Phase, runID: String, cutoff: Timestamp = .zero, retentionMicroseconds: Int64, stepLimit: Int = 10_000,
        messagesDeleted: UInt64 = 0, snapshotSeq: UInt64 = 0, outcome: String = ""
    ) {
        self.phase = phase
        self.runID = runID
        self.cutoff = cutoff
        self.retentionMicroseconds = retentionMicroseconds
        self.stepLimit = stepLimit
        self.messagesDeleted = messagesDeleted
        self.snapshotSeq = snapshotSeq
        self.outcome = outcome
    }

    public func encoded() -> [UInt8] {
        // v1 bytes unless there is a document, so earlier phases read the same in older builds.
        var writer = PayloadWriter(version: document.isEmpty ? 1 : 2)
        writer.write(phase.rawValue)
        writer.write(runID)
        writer.write(cutoff.microseconds)
        writer.write(retentionMicroseconds)
        writer.write(UInt64(stepLimit))
        writer.write(messagesDeleted)
        writer.write(snapshotSeq)
        writer.write(outcome)
        if !document.isEmpty { writer.write(bytes: document) }
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 2, kind: .gc)
        let name = try reader.readString()
        guard let phase = Phase(rawValue: name) else { throw RecordError(.malformedPayload, "unknown gc phase '\(name)'") }
        self.phase = phase
        runID = try reader.readString()
        cutoff = Timestamp(microseconds: try reader.readInt64())
        retentionMicroseconds = try reader.readInt64()
        stepLimit = try reader.readInt()
        messagesDeleted = try reader.readUInt64()
        snapshotSeq = try reader.readUInt64()
        outcome = try reader.readString()
        if reader.version >= 2 { document = try reader.readBytes() }
        try reader.expectEnd()
    }
}

/// `rotation` (kind 13): a segment holding records of this stream was sealed, archived or removed.
public struct RotationEvent: Hashable, Sendable {
    public enum Action: String, CaseIterable, Hashable, Sendable {
        case sealed, archived, removed
    }

    public var segmentID: UInt64
    public var action: Action
    /// The stream's first and last seq in that segment.
    public var firstSeq: UInt64
    public var lastSeq: UInt64

    public init(segmentID: UInt64, action: Action, firstSeq: UInt64, lastSeq: UInt64) {
        self.segmentID = segmentID
        self.action = action
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1)
        writer.write(segmentID)
        writer.write(action.rawValue)
        writer.write(firstSeq)
        writer.write(lastSeq)
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .rotation)
        segmentID = try reader.readUInt64()
        let name = try reader.readString()
        guard let action = Action(rawValue: name) else { throw RecordError(.malformedPayload, "unknown rotation action '\(name)'") }
        self.action = action
        firstSeq = try reader.readUInt64()
        lastSeq = try reader.readUInt64()
        try reader.expectEnd()
    }
}

/// `snapshot` (kind 14): the stream's state as of `coveredSeq` was written as a snapshot file.
public struct SnapshotEvent: Hashable, Sendable {
    /// The snapshot's name in the store (`<stream>/<seq>`).
    public var snapshotID: String
    public var coveredSeq: UInt64
    public var formatVersion: UInt8
    public var bytes: UInt64
    /// CRC32C of the snapshot payload.
    public var checksum: UInt32

    public init(snapshotID: String, coveredSeq: UInt64, formatVersion: UInt8, bytes: UInt64, checksum: UInt32) {
        self.snapshotID = snapshotID
        self.coveredSeq = coveredSeq
        self.formatVersion = formatVersion
        self.bytes = bytes
        self.checksum = checksum
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1)
        writer.write(snapshotID)
        writer.write(coveredSeq)
        writer.write(UInt64(formatVersion))
        writer.write(bytes)
        writer.write(UInt64(checksum))
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .snapshot)
        snapshotID = try reader.readString()
        coveredSeq = try reader.readUInt64()
        formatVersion = UInt8(truncatingIfNeeded: try reader.readUInt64())
        bytes = try reader.readUInt64()
        checksum = UInt32(truncatingIfNeeded: try reader.readUInt64())
        try reader.expectEnd()
    }
}
