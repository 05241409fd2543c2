import CZlib
import CourierCore
import Foundation
import Glibc

/// Archived segments under `<data dir>/log/archive/` (eventlog.md §7): `<id>.mdb.gz` (the segment's
/// LMDB file, gzipped) beside a copy of its manifest `<id>.manifest`. The newest `keep` are kept.
public struct SegmentArchive: Sendable {
    public struct Entry: Hashable, Sendable {
        public var id: UInt64
        public var name: String
        public var manifest: SegmentManifest
        /// Size of the `.gz` file.
        public var bytes: Int
    }

    public let directory: String

    public init(logDirectory: String) { directory = logDirectory + "/archive" }

    func dataPath(_ id: UInt64) -> String { "\(directory)/\(SegmentFiles.name(id)).mdb.gz" }
    func manifestPath(_ id: UInt64) -> String { "\(directory)/\(SegmentFiles.name(id)).manifest" }

    /// Gzips a sealed segment of `logDirectory` into the archive, durably (temp file, fsync, rename, fsync dir).
    /// The manifest goes last: an archived segment without one is an unfinished copy, ignored and overwritten.
    func add(segment id: UInt64, logDirectory: String) throws {
        try FileSystem.createDirectory(directory)
        let final = dataPath(id)
        let temporary = final + ".tmp"
        try Self.gzip(SegmentFiles.dataPath(directory: logDirectory, id: id), to: temporary)
        guard rename(temporary, final) == 0 else {
            unlink(temporary)
            throw LogError(.storage, "cannot rename \(temporary): \(FileSystem.errorText())")
        }
        try FileSystem.writeAtomically(
            try FileSystem.read(SegmentFiles.manifestPath(directory: logDirectory, id: id)), to: manifestPath(id))
        try FileSystem.syncDirectory(directory)
    }

    /// Archived segments, oldest first; entries whose manifest is missing or damaged are skipped.
    public func entries() -> [Entry] {
        let names = (try? FileSystem.list(directory)) ?? []  // no archive folder: nothing archived
        return names.compactMap { name -> Entry? in
            guard name.hasSuffix(".mdb.gz"), let id = UInt64(name.prefix(12)) else { return nil }
            guard let bytes = try? FileSystem.read(manifestPath(id)),
                let manifest = try? SegmentManifest(parsing: bytes, path: manifestPath(id))  // unfinished copy
            else { return nil }
            return Entry(id: id, name: SegmentFiles.name(id), manifest: manifest, bytes: FileSystem.size(dataPath(id)))
        }.sorted { $0.id < $1.id }
    }

    /// Deletes the oldest archived segments beyond `keep`; returns them.
    func prune(keep: Int) throws -> [Entry] {
        try delete(Array(entries().dropLast(max(keep, 0))))
    }

    /// Deletes the archived segments `which` selects; returns them.
    func remove(where which: (Entry) -> Bool) throws -> [Entry] {
        try delete(entries().filter(which))
    }

    private func delete(_ pruned: [Entry]) throws -> [Entry] {
        for entry in pruned {
            for path in [dataPath(entry.id), manifestPath(entry.id)] where FileSystem.exists(path) {
                try FileManager.default.removeItem(atPath: path)
            }
        }
        if !pruned.isEmpty { try FileSystem.syncDirectory(directory) }
        return pruned
    }

    /// Unpacks archived segments into `destination` as a log directory that `LMDBEventLog` opens
    /// read-only (`courier log … --include-archive`).
    public func extract(_ entries: [Entry], into destination: String) throws {
        try FileSystem.createDirectory(destination)
        for entry in entries {
            try Self.gunzip(dataPath(entry.id), to: SegmentFiles.dataPath(directory: destination, id: entry.id))
            try FileSystem.writeAtomically(
                try FileSystem.read(manifestPath(entry.id)), to: SegmentFiles.manifestPath(directory: destination, id: entry.id))
        }
    }

    static func gzip(_ source: String, to destination: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw LogError(.storage, "cannot read \(source): \(FileSystem.errorText())") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard output >= 0 else { throw LogError(.storage, "cannot create \(destination): \(FileSystem.errorText())") }
        defer { close(output) }
        // gzclose closes the descriptor it is given: hand it a duplicate and keep `output` for fsync.
        guard let gz = gzdopen(dup(output), "wb1") else { throw LogError(.storage, "zlib cannot open \(destination)") }
        var ok = true
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        while ok {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                ok = count == 0
                break
            }
            ok = buffer.withUnsafeBytes { Int(gzwrite(gz, $0.baseAddress!, UInt32(count))) } == count
        }
        let closed = gzclose(gz)
        guard ok, closed == Z_OK else { throw LogError(.storage, "cannot compress \(source) into \(destination)") }
        guard fsync(output) == 0 else { throw LogError(.storage, "cannot sync \(destination): \(FileSystem.errorText())") }
    }

    static func gunzip(_ source: String, to destination: String) throws {
        guard let gz = gzopen(source, "rb") else { throw LogError(.storage, "cannot read \(source)") }
        defer { gzclose(gz) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard output >= 0 else { throw LogError(.storage, "cannot create \(destination): \(FileSystem.errorText())") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { Int(gzread(gz, $0.baseAddress!, UInt32($0.count))) }
            guard count >= 0 else { throw LogError(.corrupted, "archived segment \(source) is damaged (gzip)") }
            if count == 0 { break }
            let written = buffer.withUnsafeBytes { write(output, $0.baseAddress!, count) }
            guard written == count else { throw LogError(.storage, "cannot write \(destination): \(FileSystem.errorText())") }
        }
    }
}
