import CourierCore

/// One event to append: the log assigns seq and timestamp.
public struct LogEntry: Hashable, Sendable {
    public var shard: UInt16
    public var epoch: UInt64
    public var kindCode: UInt16
    public var payload: [UInt8]

    public init(shard: UInt16, epoch: UInt64, kind: EventKind, payload: [UInt8]) {
        self.init(shard: shard, epoch: epoch, kindCode: kind.rawValue, payload: payload)
    }

    public init(shard: UInt16, epoch: UInt64, kindCode: UInt16, payload: [UInt8]) {
        self.shard = shard
        self.epoch = epoch
        self.kindCode = kindCode
        self.payload = payload
    }
}

/// Where an appended event landed.
public struct LogPosition: Hashable, Sendable {
    public var shard: UInt16
    public var seq: UInt64
    public var timestamp: Timestamp

    public init(shard: UInt16, seq: UInt64, timestamp: Timestamp) {
        self.shard = shard
        self.seq = seq
        self.timestamp = timestamp
    }
}

/// One stream's extent in the log.
public struct StreamSummary: Hashable, Sendable {
    public var shard: UInt16
    public var firstSeq: UInt64
    public var lastSeq: UInt64
    public var epoch: UInt64
    public var lastTimestamp: Timestamp
    public var bytes: Int

    public init(shard: UInt16, firstSeq: UInt64, lastSeq: UInt64, epoch: UInt64, lastTimestamp: Timestamp, bytes: Int) {
        self.shard = shard
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.epoch = epoch
        self.lastTimestamp = lastTimestamp
        self.bytes = bytes
    }
}

/// A node's durable, per-stream, gap-free event log (eventlog.md §3–5).
///
/// `append` returns only once the commit covering every entry is on stable storage. All entries of
/// one call land in one transaction: they are all present after a crash, or none is.
public protocol EventLog: AnyObject, Sendable {
    /// Appends `entries`, assigning each stream's next seq (`last + 1`) and the timestamp
    /// `max(last, now)`; returns their positions, in order, once durable.
    func append(_ entries: [LogEntry]) async throws -> [LogPosition]

    /// Up to `limit` records of `shard` with seq ≥ `fromSeq`, in seq order. Short, synchronous read:
    /// callers wanting more call again from the last seq + 1.
    func read(shard: UInt16, fromSeq: UInt64, limit: Int) throws -> [Record]

    /// The last durable seq of `shard`, 0 when the stream is empty.
    func lastSeq(shard: UInt16) -> UInt64

    /// Every stream with at least one record.
    func streams() -> [StreamSummary]

    /// Waits for queued appends to commit, then releases the log; later appends throw `.closed`.
    func close() async
}

extension EventLog {
    /// Appends one event.
    public func append(_ entry: LogEntry) async throws -> LogPosition {
        try await append([entry])[0]
    }

    /// Every record of `shard` from `fromSeq` on, read in chunks so no transaction grows long.
    public func forEachRecord(shard: UInt16, fromSeq: UInt64 = 1, chunk: Int = 10_000, _ body: (Record) throws -> Void) throws {
        var next = fromSeq
        while true {
            let records = try read(shard: shard, fromSeq: next, limit: chunk)
            for record in records { try body(record) }
            guard let last = records.last, records.count == chunk else { return }
            next = last.seq + 1
        }
    }
}
