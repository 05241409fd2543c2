import CourierCore
import Dispatch
import Foundation
import Logging
import Synchronization

/// The LMDB event log: size-bounded segments under `<data dir>/log/`, one writer thread, group commit.
///
/// Appenders enqueue and await; the writer thread takes everything queued while the previous commit
/// ran (up to `maximumBatchEvents`/`maximumBatchBytes`), writes it in one transaction, commits with one
/// sync, and only then resumes every waiter (eventlog.md §5). It never waits to fill a batch.
public final class LMDBEventLog: EventLog, @unchecked Sendable {
    // @unchecked: mutable state lives in the two `Mutex`es; `writer` is touched only by the writer
    // thread (and by `init` before that thread starts).

    public struct Configuration: Sendable {
        /// A segment is sealed once its file reaches this size (`COURIER_LOG_SEGMENT_BYTES`).
        public var segmentSizeBytes: Int = 64 << 20
        /// At most this many events per commit (eventlog.md §5: 10 000).
        public var maximumBatchEvents: Int = 10_000
        /// At most this many payload bytes per commit (16 MiB).
        public var maximumBatchBytes: Int = 16 << 20
        /// Appends fail with `.diskFull` while the log's filesystem has less free space than this.
        public var minimumFreeBytes: Int = 0
        /// Open for reading only (`courier log`): no writer thread, appends throw.
        public var readOnly: Bool = false
        /// The LMDB map a new segment starts with; nil derives it from the segment and batch sizes.
        /// The map doubles on `MDB_MAP_FULL`, so this only matters for tests and tuning.
        public var initialMapSizeBytes: Int? = nil
        /// How far ahead of LMDB's last page the active segment's file is kept written with zeros, so
        /// that commits overwrite blocks instead of growing the file (`SegmentPrefill`); never past
        /// `segmentSizeBytes`. 0 turns it off.
        public var prefillBytes: Int = 8 << 20
        /// Segments that leave the live log are gzipped into `archive/` and the newest this many kept
        /// (`COURIER_LOG_ARCHIVE_KEEP`); 0 deletes them instead.
        public var archiveKeep: Int = 30

        public init() {}
    }

    public let directory: String
    public let configuration: Configuration
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let state: Mutex<State>
    let queue = Mutex(Queue())
    let wake = DispatchSemaphore(value: 0)
    var writer: WriterState
    let commitObservers = Mutex<[@Sendable () -> Void]>([])
    let durability = Mutex(Durability())
    let syncerWake = DispatchSemaphore(value: 0)
    let syncerDone = DispatchSemaphore(value: 0)
    let commits = Atomic<Int>(0)
    /// nil when read-only or `prefillBytes` is 0.
    let prefill: SegmentPrefill?
    let metrics = LogMetrics()

    struct Tail: Hashable {
        var seq: UInt64
        var epoch: UInt64
        var timestamp: Timestamp
    }

    struct State {
        var segments: [SegmentState]
        var tails: [UInt16: Tail]
    }

    struct Queue {
        var items: [PendingAppend] = []
        var writerSleeping = false
        var closing = false
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    struct PendingAppend {
        var entries: [LogEntry]
        /// Resumed exactly once: by `acknowledge` (success or a failed sync), by a failed commit or
        /// the free-space check, or at once when the log is closing. Unsafe (unchecked) to spare an
        /// allocation per append on the hot path; `LogConformanceTests` exercise every way out.
        var continuation: UnsafeContinuation<[LogPosition], any Error>
    }

    struct WriterState {
        var active: LMDBEnvironment?
        var activeID: UInt64 = 0
        /// The greatest key in the active segment: keys above it go in with `MDB_APPEND`.
        var lastKey: (shard: UInt16, seq: UInt64) = (0, 0)
        /// The stream tails including unsynced commits; `state.tails` shows only durable ones.
        var tails: [UInt16: Tail]? = nil
        /// Numbers commits, so that a sync acknowledges exactly the commits written before it began.
        var commitNumber: UInt64 = 0
        /// How far the active segment's file was last asked to be written ahead (`SegmentPrefill`).
        var prefillRequested = 0
    }

    /// Commits whose data pages are synced but whose meta page is only written (`MDB_NOMETASYNC`), oldest
    /// first. Whichever sync of the same file begins after a commit returned makes its meta page durable:
    /// the next commit's data sync (writer thread) or the sync thread's, which starts at once instead
    /// of waiting for the next commit. Only then are its appends acknowledged and its records shown to
    /// readers, in commit order, so nobody hears success before data and meta page are both on disk.
    struct Durability {
        var unsynced: [UnsyncedCommit] = []
        var syncerSleeping = false
        var stopping = false
    }

    /// A commit whose meta page is not yet durable: published to readers and appenders only once it is.
    struct UnsyncedCommit {
        var number: UInt64
        var appends: [(append: PendingAppend, positions: [LogPosition])]
        var records: [Record]
        var checksums: [UInt32]
        var tails: [UInt16: Tail]
        var segmentID: UInt64
        /// The file a sync has to cover.
        var environment: LMDBEnvironment
    }

    /// Opens (creating if needed) the log in `directory` (normally `<data dir>/log`).
    public init(
        directory: String, configuration: Configuration = Configuration(),
        clock: @escaping @Sendable () -> Timestamp, logger: Logger
    ) throws {
        self.directory = directory
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        if !configuration.readOnly { try FileSystem.createDirectory(directory) }
        guard FileSystem.isDirectory(directory) else {
            throw LogError(.notADataDirectory, "\(directory) does not exist; pass --data-dir")
        }
        var segments = try Self.openSegments(directory: directory, configuration: configuration, logger: logger)
        writer = WriterState()
        if !configuration.readOnly {
            if segments.last.map({ $0.sealed }) ?? true {
                let id = (segments.last?.id ?? 0) + 1
                segments.append(try Self.createSegment(directory: directory, id: id, configuration: configuration))
            }
            let active = segments[segments.count - 1]
            writer.active = active.environment
            writer.activeID = active.id
            writer.lastKey = try active.environment.read { txn in try txn.last().map { ($0.shard, $0.seq) } } ?? (0, 0)
        }
        var tails: [UInt16: Tail] = [:]
        for segment in segments {
            for (shard, range) in segment.streams {
                tails[shard] = Tail(seq: range.lastSeq, epoch: range.epoch, timestamp: range.lastTimestamp)
            }
        }
        state = Mutex(State(segments: segments, tails: tails))
        prefill =
            configuration.readOnly || configuration.prefillBytes <= 0
            ? nil
            : SegmentPrefill(chunkBytes: min(256 << 10, max(configuration.prefillBytes / 4, 4096)), logger: logger)
        if !configuration.readOnly {
            let thread = Thread { [self] in runWriter() }
            thread.name = "courier-logw"  // Linux keeps at most 15 characters
            thread.start()
            let syncer = Thread { [self] in runSyncer() }
            syncer.name = "courier-logs"
            syncer.start()
        }
    }

    // MARK: EventLog

    public func append(_ entries: [LogEntry]) async throws -> [LogPosition] {
        guard !configuration.readOnly else { throw LogError(.closed, "the log is open read-only") }
        for entry in entries where entry.payload.count > Record.maximumPayloadBytes {
            throw LogError(.payloadTooLarge, "payload of \(entry.payload.count) bytes exceeds the 1 MiB record limit")
        }
        guard !entries.isEmpty else { return [] }
        return try await withUnsafeThrowingContinuation { continuation in
            let wakeWriter: Bool? = queue.withLock { queue in
                guard !queue.closing else { return nil }
                queue.items.append(PendingAppend(entries: entries, continuation: continuation))
                guard queue.writerSleeping else { return false }
                queue.writerSleeping = false
                return true
            }
            switch wakeWriter {
            case nil: continuation.resume(throwing: LogError(.closed, "the event log is closed"))
            case true?: wake.signal()
            case false?: break
            }
        }
    }

    public func read(shard: UInt16, fromSeq: UInt64, limit: Int) throws -> [Record] {
        let candidates: [SegmentState] = state.withLock { state in
            state.segments.enumerated().filter { index, segment in
                // Read-only opens may lag the writer, so the newest segment is always searched.
                (configuration.readOnly && index == state.segments.count - 1)
                    || (segment.streams[shard].map { $0.lastSeq >= fromSeq } ?? false)
            }.map(\.element)
        }
        var records: [Record] = []
        var next = max(fromSeq, 1)
        for segment in candidates where records.count < limit {
            try segment.environment.read { txn in
                var cursor = try txn.seek(shard: shard, seq: next)
                while let current = cursor, current.shard == shard, records.count < limit {
                    let record = try Self.decode(current.value, shard: current.shard, seq: current.seq, segment: segment.id)
                    records.append(record)
                    next = current.seq + 1
                    cursor = try txn.next()
                }
            }
        }
        return records
    }

    /// Transactions committed so far by this process (each is one group commit).
    public var commitCount: Int { commits.load(ordering: .relaxed) }

    /// Calls `observer` after every acknowledgement of durable commits, on the writer or the sync thread
    /// (keep it short: it delays the next batch or sync).
    public func addCommitObserver(_ observer: @escaping @Sendable () -> Void) {
        commitObservers.withLock { $0.append(observer) }
    }

    public func lastSeq(shard: UInt16) -> UInt64 {
        state.withLock { $0.tails[shard]?.seq ?? 0 }
    }

    public func streams() -> [StreamSummary] {
        state.withLock { state in
            var summaries: [UInt16: StreamSummary] = [:]
            for segment in state.segments {
                for (shard, range) in segment.streams {
                    if var summary = summaries[shard] {
                        summary.firstSeq = min(summary.firstSeq, range.firstSeq)
                        summary.lastSeq = max(summary.lastSeq, range.lastSeq)
                        summary.epoch = max(summary.epoch, range.epoch)
                        summary.lastTimestamp = max(summary.lastTimestamp, range.lastTimestamp)
                        summary.bytes += range.bytes
                        summaries[shard] = summary
                    } else {
                        summaries[shard] = StreamSummary(
                            shard: shard, firstSeq: range.firstSeq, lastSeq: range.lastSeq, epoch: range.epoch,
                            lastTimestamp: range.lastTimestamp, bytes: range.bytes)
                    }
                }
            }
            return summaries.keys.sorted().map { summaries[$0]! }
        }
    }

    public func close() async {
        if configuration.readOnly {
            state.withLock { $0.segments = [] }
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (alreadyClosed, wakeWriter) = queue.withLock { queue in
                if queue.closed { return (true, false) }
                queue.closing = true
                queue.closeWaiters.append(continuation)
                let sleeping = queue.writerSleeping
                queue.writerSleeping = false
                return (false, sleeping)
            }
            if alreadyClosed { continuation.resume() }
            if wakeWriter { wake.signal() }
        }
    }

    /// Decodes a stored record and checks it against its key.
    static func decode(_ bytes: UnsafeRawBufferPointer, shard: UInt16, seq: UInt64, segment: UInt64) throws -> Record {
        let record: Record
        do {
            record = try Record.decode(bytes)
        } catch {
            throw LogError(
                .corrupted,
                "\(error): segment \(SegmentFiles.name(segment)), shard \(shard), seq \(seq); run `courier log verify`")
        }
        guard record.shard == shard, record.seq == seq else {
            throw LogError(
                .corrupted,
                "record header (\(record.shard):\(record.seq)) does not match its key: segment \(SegmentFiles.name(segment)), shard \(shard), seq \(seq)"
            )
        }
        return record
    }
}

extension LMDBEventLog {
    /// A segment as the log tracks it: its environment and what it holds.
    struct SegmentState: @unchecked Sendable {
        // @unchecked: LMDBEnvironment is thread-safe as documented on it.
        var id: UInt64
        var environment: LMDBEnvironment
        var sealed: Bool
        var streams: [UInt16: StreamRange] = [:]
        var recordCount = 0
        var recordBytes = 0
        var checksum: UInt64 = 0

        mutating func add(_ record: Record, bytes: Int, crc: UInt32) {
            if streams[record.shard] == nil {
                streams[record.shard] = StreamRange(record: record, bytes: bytes)
            } else {
                streams[record.shard]!.add(record, bytes: bytes)
            }
            recordCount += 1
            recordBytes += bytes
            checksum &+= UInt64(crc)
        }

        var manifest: SegmentManifest {
            SegmentManifest(
                segmentID: id, recordCount: recordCount, recordBytes: recordBytes, checksum: checksum,
                sealedAt: streams.values.map(\.lastTimestamp).max() ?? .zero, streams: streams)
        }
    }

    /// Public description of a segment, for `courier log list --segments`.
    public struct SegmentDescription: Hashable, Sendable {
        public var id: UInt64
        public var name: String
        public var sealed: Bool
        public var fileBytes: Int
        public var recordCount: Int
        public var recordBytes: Int
        public var checksum: UInt64
        public var streams: [UInt16: StreamRange]
    }

    public func segments() -> [SegmentDescription] {
        state.withLock { state in
            state.segments.map { segment in
                SegmentDescription(
                    id: segment.id, name: SegmentFiles.name(segment.id), sealed: segment.sealed,
                    fileBytes: FileSystem.size(SegmentFiles.dataPath(directory: directory, id: segment.id)),
                    recordCount: segment.recordCount, recordBytes: segment.recordBytes, checksum: segment.checksum,
                    streams: segment.streams)
            }
        }
    }

    /// Raw records of one segment in key order from `after` (exclusive), at most `limit` per call,
    /// undecoded so that `verify` can report damage instead of stopping at it.
    public func rawRecords(segment id: UInt64, after key: (shard: UInt16, seq: UInt64)?, limit: Int) throws
        -> [(shard: UInt16, seq: UInt64, bytes: [UInt8])]
    {
        guard let segment = state.withLock({ $0.segments.first { $0.id == id } }) else { return [] }
        return try segment.environment.read { txn in
            var output: [(shard: UInt16, seq: UInt64, bytes: [UInt8])] = []
            var cursor = try txn.seek(after: key)
            while let current = cursor, output.count < limit {
                output.append((current.shard, current.seq, [UInt8](current.value)))
                cursor = try txn.next()
            }
            return output
        }
    }

    /// Picks up segments created since open (read-only opens; `courier log tail -f`).
    public func refresh() throws {
        let known = state.withLock { $0.segments.map(\.id) }
        let ids = try Self.segmentIDs(directory: directory)
        guard ids != known else { return }
        let existing = state.withLock { state in
            Dictionary(uniqueKeysWithValues: state.segments.map { ($0.id, $0.environment) })
        }
        let reopened = try Self.openSegments(
            directory: directory, configuration: configuration, logger: logger, existing: existing)
        state.withLock { state in
            state.segments = reopened
            for segment in reopened {
                for (shard, range) in segment.streams {
                    state.tails[shard] = Tail(seq: range.lastSeq, epoch: range.epoch, timestamp: range.lastTimestamp)
                }
            }
        }
    }
}
