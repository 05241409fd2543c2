import CourierCore
import Foundation
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
    public func removeCoveredSegments(covered: [UInt16: UInt64], replicated: [UInt16: UInt64]?, purge: Bool = false) throws
        -> [RemovedSegment]
    {
        guard !configuration.readOnly else { throw LogError(.closed, "the log is open read-only") }
        let ids = Set(removableSegments(covered: covered, replicated: replicated))
        let archiving = !purge && configuration.archiveKeep > 0
        let taken: [SegmentState] = state.withLock { state in
            let taken = state.segments.filter { ids.contains($0.id) && $0.sealed }
            state.segments.removeAll { ids.contains($0.id) && $0.sealed }
            return taken
        }
        var removed: [RemovedSegment] = []
        let archive = SegmentArchive(logDirectory: directory)
        for segment in taken {
            let bytes = FileSystem.size(SegmentFiles.dataPath(directory: directory, id: segment.id))
            if archiving { try archive.add(segment: segment.id, logDirectory: directory) }
            // Data first: a manifest without its data file is ignored on open.
            for path in [
                SegmentFiles.dataPath(directory: directory, id: segment.id),
                SegmentFiles.lockPath(directory: directory, id: segment.id),
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
}
