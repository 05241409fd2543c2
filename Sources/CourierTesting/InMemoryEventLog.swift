import CourierCore
import CourierLog
import Synchronization

/// Records that outlive an `InMemoryEventLog`, so a test can "restart" by opening a new log on them.
public final class InMemoryLogStorage: Sendable {
    let records = Mutex<[UInt16: [Record]]>([:])

    public init() {}

    /// Every record of every stream, in (shard, seq) order.
    public var allRecords: [Record] {
        records.withLock { streams in streams.keys.sorted().flatMap { streams[$0]! } }
    }
}

/// The event log in memory: same contract as the LMDB log, no durability. For actor tests and the
/// conformance suite. `failNextAppends` injects append failures (a faulty disk).
public final class InMemoryEventLog: EventLog, Sendable {
    public let storage: InMemoryLogStorage
    private let clock: @Sendable () -> Timestamp
    private let flags = Mutex<(closed: Bool, failures: Int)>((false, 0))

    public init(storage: InMemoryLogStorage = InMemoryLogStorage(), clock: @escaping @Sendable () -> Timestamp) {
        self.storage = storage
        self.clock = clock
    }

    /// The next `count` appends fail with `LogError.storage`, appending nothing.
    public func failNextAppends(_ count: Int) { flags.withLock { $0.failures = count } }

    public func append(_ entries: [LogEntry]) async throws -> [LogPosition] {
        for entry in entries where entry.payload.count > Record.maximumPayloadBytes {
            throw LogError(.payloadTooLarge, "payload of \(entry.payload.count) bytes exceeds the 1 MiB record limit")
        }
        try flags.withLock { flags in
            guard !flags.closed else { throw LogError(.closed, "the event log is closed") }
            if flags.failures > 0 {
                flags.failures -= 1
                throw LogError(.storage, "injected append failure")
            }
        }
        let now = clock()
        return storage.records.withLock { streams in
            entries.map { entry in
                var stream = streams[entry.shard] ?? []
                let last = stream.last
                precondition(entry.epoch >= (last?.epoch ?? 0), "shard \(entry.shard): epoch went back")
                let record = Record(
                    shard: entry.shard, seq: (last?.seq ?? 0) + 1, epoch: entry.epoch,
                    timestamp: max(last?.timestamp ?? .zero, now), kindCode: entry.kindCode, payload: entry.payload)
                stream.append(record)
                streams[entry.shard] = stream
                return LogPosition(shard: record.shard, seq: record.seq, timestamp: record.timestamp)
            }
        }
    }

    public func read(shard: UInt16, fromSeq: UInt64, limit: Int) throws -> [Record] {
        storage.records.withLock { streams in
            let stream = streams[shard] ?? []
            guard let first = stream.first else { return [] }
            let start = Int(max(fromSeq, first.seq) - first.seq)
            guard start < stream.count else { return [] }
            return Array(stream[start..<min(stream.count, start + limit)])
        }
    }

    public func lastSeq(shard: UInt16) -> UInt64 {
        storage.records.withLock { $0[shard]?.last?.seq ?? 0 }
    }

    public func streams() -> [StreamSummary] {
        storage.records.withLock { streams in
            streams.keys.sorted().compactMap { shard in
                guard let first = streams[shard]?.first, let last = streams[shard]?.last else { return nil }
                return StreamSummary(
                    shard: shard, firstSeq: first.seq, lastSeq: last.seq, epoch: last.epoch,
                    lastTimestamp: last.timestamp, bytes: streams[shard]!.reduce(0) { $0 + $1.encodedCount })
            }
        }
    }

    public func close() async { flags.withLock { $0.closed = true } }
}
