import CourierCore
import Logging

extension LMDBEventLog {
    /// Segment ids present in `directory`, ascending.
    static func segmentIDs(directory: String) throws -> [UInt64] {
        try FileSystem.list(directory).compactMap { name -> UInt64? in
            guard name.hasSuffix(".mdb"), name.count == 16 else { return nil }
            return UInt64(name.prefix(12))
        }.sorted()
    }

    /// Map size for a segment: room for a full segment plus a maximal batch, twice over; the map is
    /// only address space (the file grows as pages are written), and it still grows on `MDB_MAP_FULL`.
    static func mapSize(_ configuration: Configuration) -> Int {
        if let size = configuration.initialMapSizeBytes { return size }
        return max(2 * (configuration.segmentSizeBytes + 2 * configuration.maximumBatchBytes), 64 << 20)
    }

    static func createSegment(directory: String, id: UInt64, configuration: Configuration) throws -> SegmentState {
        let environment = try LMDBEnvironment(
            path: SegmentFiles.dataPath(directory: directory, id: id), readOnly: false,
            mapSizeBytes: mapSize(configuration))
        try FileSystem.syncDirectory(directory)
        return SegmentState(id: id, environment: environment, sealed: false)
    }

    /// Opens every segment. Sealed ones are described by their manifests; the newest unsealed one is
    /// scanned (which checks every record's checksum when writing); an older unsealed one (a crash
    /// during sealing) is scanned and sealed now.
    static func openSegments(
        directory: String, configuration: Configuration, logger: Logger,
        existing: [UInt64: LMDBEnvironment] = [:]
    ) throws -> [SegmentState] {
        let ids = try segmentIDs(directory: directory)
        var segments: [SegmentState] = []
        for id in ids {
            let manifestPath = SegmentFiles.manifestPath(directory: directory, id: id)
            let hasManifest = FileSystem.exists(manifestPath)
            let environment = try existing[id] ?? LMDBEnvironment(
                path: SegmentFiles.dataPath(directory: directory, id: id),
                readOnly: configuration.readOnly, mapSizeBytes: mapSize(configuration))
            var segment = SegmentState(id: id, environment: environment, sealed: hasManifest)
            if hasManifest {
                let manifest = try SegmentManifest(parsing: try FileSystem.read(manifestPath), path: manifestPath)
                segment.streams = manifest.streams
                segment.recordCount = manifest.recordCount
                segment.recordBytes = manifest.recordBytes
                segment.checksum = manifest.checksum
            } else {
                try scan(&segment, strict: !configuration.readOnly)
                if id != ids.last {
                    segment.sealed = true
                    if !configuration.readOnly {
                        try FileSystem.writeAtomically(segment.manifest.json().serialized(), to: manifestPath)
                        logger.info("sealed segment left unsealed by a crash", metadata: ["log.segment": "\(SegmentFiles.name(id))"])
                    }
                }
            }
            segments.append(segment)
        }
        return segments
    }

    /// Rebuilds a segment's stream ranges from its records, in chunks of 10 000 per read transaction.
    /// Strict scans (the writer's open) stop at the first damaged record; lenient ones (read-only
    /// inspection) count it and go on, leaving the report to `courier log verify`.
    static func scan(_ segment: inout SegmentState, strict: Bool) throws {
        var after: (shard: UInt16, seq: UInt64)? = nil
        while true {
            var chunk: [(shard: UInt16, seq: UInt64, bytes: Int, record: Record?, crc: UInt32)] = []
            try segment.environment.read { txn in
                var cursor = try txn.seek(after: after)
                while let current = cursor, chunk.count < 10_000 {
                    let record: Record?
                    if strict {
                        record = try decode(current.value, shard: current.shard, seq: current.seq, segment: segment.id)
                    } else {
                        record = try? decode(current.value, shard: current.shard, seq: current.seq, segment: segment.id)  // reported by verify
                    }
                    let crc = current.value.count >= 4 ? Record.storedChecksum(current.value) : 0
                    chunk.append((current.shard, current.seq, current.value.count, record, crc))
                    cursor = try txn.next()
                }
            }
            for item in chunk {
                let record = item.record ?? Record(
                    shard: item.shard, seq: item.seq, epoch: 0, timestamp: .zero, kindCode: 0, payload: [])
                segment.add(record, bytes: item.bytes, crc: item.crc)
            }
            guard let last = chunk.last, chunk.count == 10_000 else { return }
            after = (last.shard, last.seq)
        }
    }
}
