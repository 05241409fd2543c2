import CCourierNative
import CourierCore
import Foundation
import Glibc
import Logging

extension LMDBEventLog {
    /// A sealed segment that left the live log.
    public struct RemovedSegment: Hashable, Sendable {
        /// `archived` (gzipped into `archive/`) or `removed` (deleted, live or from the archive).
        public var action: RotationEvent.Action
        public var id: UInt64
        public var name: String
        public var streams: [UInt16: StreamRange]
        public var recordCount: Int
        public var fileBytes: Int
    }

    /// Sealed segments that may leave the live log (eventlog.md §7): every stream in it is covered by
    /// a snapshot (`covered[stream] ≥` its last seq there), replicated when `replicated` is given, and
    /// has records in a later segment, so each stream's tail (its next seq) survives a restart.
    public func removableSegments(covered: [UInt16: UInt64], replicated: [UInt16: UInt64]?) -> [UInt64] {
        state.withLock { state in
            var removable: [UInt64] = []
            for (index, segment) in state.segments.enumerated() where segment.sealed {
                let later = state.segments[(index + 1)...]
                let ok = segment.streams.allSatisfy { shard, range in
                    (covered[shard] ?? 0) >= range.lastSeq
                        && (replicated.map { ($0[shard] ?? 0) >= range.lastSeq } ?? true)
                        && later.contains { $0.streams[shard] != nil }
                }
                if ok { removable.append(segment.id) }
            }
            return removable
        }
    }

    /// Takes the covered sealed segments (see `removableSegments`) out of the live log, then deletes
    /// their files (the space returns once no reader maps them). Rotation (`purge == false`) first
    /// gzips each into the archive when `archiveKeep > 0` and deletes archived segments beyond
    /// `archiveKeep`; message GC (`purge`) archives nothing, since the segments hold collected
    /// messages, and also deletes the archived segments the snapshots cover (eventlog.md §7, GC
    /// step 4). Returns what happened to each. Blocking file work: call it off the cooperative pool.
    ///
    /// `paced`: the data files' blocks are freed a slice at a time with rests between. Deleting a
    /// 64 MiB segment frees its blocks in one go, which (with the discards a `discard` mount issues)
    /// occupies the device for about 20 ms, and the log's syncs wait behind it: on this project's
    /// test machine a sync loop's p99 went from 0.2 ms to 15 ms while segments were deleted, against
    /// 2.5 ms when they were cut 8 MiB at a time with rests (`courier-bench --gc 10000000`: send
    /// p99 17 ms while 60 segments went). Each file is still unlinked first (a crash leaves nothing
    /// behind); a descriptor kept open holds its blocks until they are cut, which happens only once
    /// the segment's environment is closed (no mapping can see the file shrink) — a segment a reader
    /// still holds is left to be freed whole when the reader lets go.
    public func removeCoveredSegments(
        covered: [UInt16: UInt64], replicated: [UInt16: UInt64]?, purge: Bool = false, paced: Bool = false
    ) throws -> [RemovedSegment] {
        guard !configuration.readOnly else { throw LogError(.closed, "the log is open read-only") }
        let ids = Set(removableSegments(covered: covered, replicated: replicated))
        let archiving = !purge && configuration.archiveKeep > 0
        var taken: [SegmentState] = state.withLock { state in
            let taken = state.segments.filter { ids.contains($0.id) && $0.sealed }
            state.segments.removeAll { ids.contains($0.id) && $0.sealed }
            return taken
        }
        var removed: [RemovedSegment] = []
        let archive = SegmentArchive(logDirectory: directory)
        // Unlinked data files whose blocks are freed gradually below (paced), by index in `taken`.
        var held: [(index: Int, descriptor: Int32)] = []
        defer { for file in held { Glibc.close(file.descriptor) } }
        for (index, segment) in taken.enumerated() {
            let dataPath = SegmentFiles.dataPath(directory: directory, id: segment.id)
            let bytes = FileSystem.size(dataPath)
            if archiving { try archive.add(segment: segment.id, logDirectory: directory) }
            if paced {
                let descriptor = Glibc.open(dataPath, O_WRONLY | O_CLOEXEC)
                if descriptor >= 0 { held.append((index, descriptor)) }  // not opened: freed whole on unlink
            }
            // Data first: a manifest without its data file is ignored on open.
            for path in [
                dataPath, SegmentFiles.lockPath(directory: directory, id: segment.id),
                SegmentFiles.manifestPath(directory: directory, id: segment.id),
            ] where FileSystem.exists(path) {
                try FileManager.default.removeItem(atPath: path)
            }
            removed.append(
                RemovedSegment(
                    action: archiving ? .archived : .removed, id: segment.id, name: SegmentFiles.name(segment.id), streams: segment.streams,
                    recordCount: segment.recordCount, fileBytes: bytes))
            logger.info(
                archiving ? "event log segment archived" : "event log segment removed",
                metadata: ["log.segment": "\(SegmentFiles.name(segment.id))", "log.records": "\(segment.recordCount)"])
        }
        if !taken.isEmpty { try FileSystem.syncDirectory(directory) }
        if !held.isEmpty {
            // Only environments nobody else holds are closed here; a file still mapped is not cut.
            let unmapped = Set(taken.indices.filter { isKnownUniquelyReferenced(&taken[$0].environment) })
            taken = []
            for file in held where unmapped.contains(file.index) { Self.freeGradually(file.descriptor) }
        }
        let pruned =
            purge
            ? try archive.remove(where: { entry in entry.manifest.streams.allSatisfy { (covered[$0.key] ?? 0) >= $0.value.lastSeq } })
            : try archive.prune(keep: configuration.archiveKeep)
        for entry in pruned {
            removed.append(
                RemovedSegment(
                    action: .removed, id: entry.id, name: entry.name, streams: entry.manifest.streams,
                    recordCount: entry.manifest.recordCount, fileBytes: 0))
            logger.info("archived event log segment removed", metadata: ["log.segment": "\(entry.name)"])
        }
        return removed
    }

    /// `removeCoveredSegments` paced, on a thread of its own at nice 10 (message GC's removals: the
    /// kernel's work freeing the files then also yields the CPU to request handling).
    public func removeCoveredSegmentsInBackground(covered: [UInt16: UInt64], replicated: [UInt16: UInt64]?, purge: Bool)
        async throws -> [RemovedSegment]
    {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                _ = courier_thread_set_nice(10)
                continuation.resume(
                    with: Result { try self.removeCoveredSegments(covered: covered, replicated: replicated, purge: purge, paced: true) })
            }
            thread.name = "courier-removal"
            thread.start()
        }
    }

    /// Blocks freed at a time by `freeGradually`.
    static let freeSliceBytes = 8 << 20

    /// Cuts an unlinked, unmapped file down `freeSliceBytes` at a time, resting after each cut as long
    /// as it took (at most 100 ms), so the device serves the log's syncs between them. A failed cut
    /// stops early: closing the descriptor frees the rest.
    static func freeGradually(_ descriptor: Int32) {
        var size = Int(lseek(descriptor, 0, SEEK_END))
        while size > 0 {
            size = max(0, size - freeSliceBytes)
            let started = ContinuousClock.now
            guard ftruncate(descriptor, off_t(size)) == 0 else { return }
            let (seconds, attoseconds) = min(ContinuousClock.now - started, .milliseconds(100)).components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        }
    }
}
