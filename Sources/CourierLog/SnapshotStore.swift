import CCourierNative
import CourierCore
import Foundation
import Glibc
import Synchronization

/// Snapshot files under `<data dir>/snapshots/<stream>/<seq>.snap` (eventlog.md §7): a stream's state
/// as of one seq, written atomically, checksummed, the newest `keep` kept.
///
/// Layout, big-endian: magic `CRSN`, format version (1), shard (2), seq (8), epoch (8), timestamp µs (8),
/// payload length (4), payload, CRC32C over everything before it (4).
public struct SnapshotStore: Sendable {
    public struct Snapshot: Hashable, Sendable {
        public var shard: UInt16
        public var seq: UInt64
        public var epoch: UInt64
        public var timestamp: Timestamp
        public var path: String
        public var bytes: Int
    }

    public let directory: String
    public var keep: Int

    public init(directory: String, keep: Int = 2) {
        self.directory = directory
        self.keep = keep
    }

    static let magic = Array("CRSN".utf8)
    static let headerBytes = 4 + 1 + 2 + 8 + 8 + 8 + 4

    func streamDirectory(_ shard: UInt16) -> String {
        directory + "/" + (shard == Record.controlShard ? "control" : String(shard))
    }

    /// Writes a snapshot durably (temp file, fsync, rename, fsync dir), then drops the oldest beyond `keep`.
    @discardableResult
    public func write(shard: UInt16, seq: UInt64, epoch: UInt64, timestamp: Timestamp, payload: [UInt8]) throws -> Snapshot {
        let folder = streamDirectory(shard)
        try FileSystem.createDirectory(folder)
        var header = Self.magic + [1]
        func put<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8]) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
        put(shard, into: &header)
        put(seq, into: &header)
        put(epoch, into: &header)
        put(timestamp.microseconds, into: &header)
        put(UInt32(payload.count), into: &header)
        var trailer: [UInt8] = []
        put(CRC32C.checksum(payload, continuing: CRC32C.checksum(header)), into: &trailer)
        let path = folder + "/" + String(seq).leftPadded(to: 20) + ".snap"
        // The payload is written as it is, never copied behind the header (snapshots reach tens of MB).
        try FileSystem.writeAtomically([header, payload, trailer], to: path)
        let byteCount = header.count + payload.count + trailer.count
        for old in snapshots(shard: shard).dropFirst(keep) {
            try? FileManager.default.removeItem(atPath: old.path)  // a leftover old snapshot only costs disk
        }
        return Snapshot(shard: shard, seq: seq, epoch: epoch, timestamp: timestamp, path: path, bytes: byteCount)
    }

    /// The stream's snapshots, newest first (by file name; contents are checked by `load`).
    public func snapshots(shard: UInt16) -> [Snapshot] {
        let folder = streamDirectory(shard)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []  // no folder: no snapshots
        return names.compactMap { name -> Snapshot? in
            guard name.hasSuffix(".snap"), let seq = UInt64(name.dropLast(5)) else { return nil }
            let path = folder + "/" + name
            return Snapshot(shard: shard, seq: seq, epoch: 0, timestamp: .zero, path: path, bytes: FileSystem.size(path))
        }.sorted { $0.seq > $1.seq }
    }

    /// Every stream's snapshots.
    public func all() -> [Snapshot] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []  // no folder: none
        return names.compactMap { $0 == "control" ? Record.controlShard : UInt16($0) }.sorted().flatMap { snapshots(shard: $0) }
    }

    /// Reads and checks a snapshot; returns its header and payload.
    public func load(_ snapshot: Snapshot) throws -> (Snapshot, [UInt8]) {
        let bytes = try FileSystem.read(snapshot.path)
        func damaged(_ why: String) -> LogError {
            LogError(.corrupted, "snapshot \(snapshot.path) is damaged (\(why))")
        }
        guard bytes.count >= Self.headerBytes + 4, Array(bytes.prefix(4)) == Self.magic else { throw damaged("not a snapshot") }
        guard bytes[4] == 1 else { throw LogError(.unsupportedVersion, "snapshot \(snapshot.path) has format v\(bytes[4])") }
        let stored = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32C.checksum(bytes.dropLast(4)) == stored else { throw damaged("checksum mismatch") }
        func integer<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            bytes[offset..<(offset + MemoryLayout<T>.size)].reduce(T.zero) { $0 << 8 | T($1) }
        }
        let length = Int(integer(31, UInt32.self))
        guard bytes.count == Self.headerBytes + length + 4 else { throw damaged("length mismatch") }
        var header = snapshot
        header.shard = integer(5, UInt16.self)
        header.seq = integer(7, UInt64.self)
        header.epoch = integer(15, UInt64.self)
        header.timestamp = Timestamp(microseconds: Int64(bitPattern: integer(23, UInt64.self)))
        guard header.shard == snapshot.shard, header.seq == snapshot.seq else { throw damaged("header does not match its file name") }
        return (header, Array(bytes[Self.headerBytes..<(Self.headerBytes + length)]))
    }
}

extension SnapshotStore {
    /// Held by a snapshot thread while it encodes and writes: the process's snapshots take turns.
    /// Message GC ends every shard's pass with a snapshot at about the same time, and periodic
    /// snapshots come due together too; side by side, each paced on its own, they took several times
    /// the CPU and device bandwidth at once from request handling and the log's syncs.
    static let oneAtATime = Mutex(())

    /// Encodes and writes a stream's snapshot on a thread of its own (encoding and file work stay off the
    /// cooperative pool) and returns the `snapshot` record describing it. `name` is the stream's name in
    /// the snapshot id (`0`…`31`, `control`).
    public func writeInBackground(
        stream: UInt16, name: String, seq: UInt64, epoch: UInt64, timestamp: Timestamp, formatVersion: UInt8,
        encode: @escaping @Sendable () -> [UInt8]
    ) async throws -> SnapshotEvent {
        let result: Result<SnapshotEvent, any Error> = await withCheckedContinuation { continuation in
            // A thread of its own at nice 10: encoding and writing a large state takes the CPU only when
            // request handling leaves it idle (snapshots are rare; a thread costs far less than one).
            let thread = Thread {
                _ = courier_thread_set_nice(10)
                let result = Self.oneAtATime.withLock { _ -> Result<SnapshotEvent, any Error> in
                    let payload = encode()
                    do {
                        let written = try write(shard: stream, seq: seq, epoch: epoch, timestamp: timestamp, payload: payload)
                        return .success(
                            SnapshotEvent(
                                snapshotID: "\(name)/\(seq)", coveredSeq: seq, formatVersion: formatVersion,
                                bytes: UInt64(written.bytes), checksum: CRC32C.checksum(payload)))
                    } catch {
                        return .failure(error)
                    }
                }
                continuation.resume(returning: result)
            }
            thread.name = "courier-snapshot"
            thread.start()
        }
        return try result.get()
    }
}
