import CourierCore
import CourierCrypto
import Foundation
import Hummingbird
import NIOCore
import NIOPosix

/// What the sidecar of a stored media file says (api.md §8: MIME type, size, SHA-256, created and
/// last-used time).
public struct MediaInfo: Hashable, Sendable {
    public var mimeType: String
    public var size: Int
    public var sha256: String
    public var created: Timestamp
    public var lastUsed: Timestamp
}

/// Media files on the media volume (operations.md §6): `outgoing/<id>` with an atomically written
/// sidecar `outgoing/<id>.json`, staged in `shared/`. The sidecar is written last, so a media id exists
/// exactly when its sidecar does. Every file operation runs on NIO's blocking-I/O thread pool, never
/// on an event loop.
public final class MediaStore: Sendable {
    public let root: String
    private let pool: NIOThreadPool
    private let clock: @Sendable () -> Timestamp

    public init(root: String, clock: @escaping @Sendable () -> Timestamp, pool: NIOThreadPool = .singleton) {
        self.root = root
        self.clock = clock
        self.pool = pool
    }

    var outgoing: String { root + "/outgoing" }
    var incoming: String { root + "/incoming" }
    var staging: String { root + "/shared" }

    /// Creates the layout (mode 0755) and checks a probe file can be written and removed (operations.md §6).
    public func prepare() throws {
        for directory in [root, outgoing, incoming, staging] {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        let probe = staging + "/.probe"
        guard FileManager.default.createFile(atPath: probe, contents: Data("probe".utf8)) else {
            throw MediaStoreError("cannot write to the media volume \(root)")
        }
        try FileManager.default.removeItem(atPath: probe)
    }

    /// Streams `body` to the volume under `id`, stopping at `limit` bytes (then `.tooLarge` and nothing
    /// is kept); an empty body is `.empty`.
    public func store<Body: AsyncSequence>(id: String, mimeType: String, body: Body, limit: Int, directory: String? = nil) async throws
        -> MediaInfo
    where Body.Element == ByteBuffer {
        let target = directory ?? outgoing
        precondition(MediaPolicy.isWellFormedID(id), "media id \(id) is not a store id")
        let partPath = staging + "/\(id).part"
        let descriptor = try await pool.runIfActive { () throws -> Int32 in
            let descriptor = open(partPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw MediaStoreError("cannot create \(partPath): errno \(errno)") }
            return descriptor
        }
        let hash = SHA256Stream()
        var size = 0
        var pending = ByteBuffer()
        do {
            for try await chunk in body {
                size += chunk.readableBytes
                guard size <= limit else { throw MediaStoreError.tooLarge }
                chunk.withUnsafeReadableBytes { hash.update($0) }
                pending.writeImmutableBuffer(chunk)
                // One trip to the pool per MiB, not per network read.
                if pending.readableBytes >= 1 << 20 {
                    try await write(pending, to: descriptor, path: partPath)
                    pending.clear()
                }
            }
            guard size > 0 else { throw MediaStoreError.empty }
            let last = pending
            try await pool.runIfActive {
                try Self.writeAll(last, to: descriptor, path: partPath)
                guard fsync(descriptor) == 0 else { throw MediaStoreError("cannot sync \(partPath): errno \(errno)") }
            }
        } catch {
            try? await pool.runIfActive {
                close(descriptor)
                unlink(partPath)
            }
            throw error
        }
        let now = clock()
        let info = MediaInfo(mimeType: mimeType, size: size, sha256: hash.finishHex(), created: now, lastUsed: now)
        try await pool.runIfActive { [staging] in
            close(descriptor)
            guard rename(partPath, target + "/" + id) == 0 else { throw MediaStoreError("cannot move \(partPath): errno \(errno)") }
            try Self.writeSidecar(info, id: id, directory: target, staging: staging)
        }
        return info
    }

    /// Stores received media (inbound messages) in `incoming/` under a new id; returns the id, its
    /// sidecar and the file's path.
    public func storeIncoming(id: String, mimeType: String, bytes: [UInt8]) async throws -> (info: MediaInfo, path: String) {
        let (body, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        continuation.yield(ByteBuffer(bytes: bytes))
        continuation.finish()
        let info = try await store(id: id, mimeType: mimeType, body: body, limit: MediaPolicy.maximumBytes, directory: incoming)
        return (info, incoming + "/" + id)
    }

    /// The sidecar of `id`, looking at uploads then received media; nil when unknown.
    public func info(id: String) async throws -> MediaInfo? {
        guard MediaPolicy.isWellFormedID(id) else { return nil }
        return try await pool.runIfActive { [outgoing, incoming] in
            for directory in [outgoing, incoming] {
                if let info = try Self.readSidecar(directory + "/\(id).json") { return info }
            }
            return nil
        }
    }

    /// The path of the bytes of `id` and its sidecar, or nil.
    public func file(id: String) async throws -> (path: String, info: MediaInfo)? {
        guard MediaPolicy.isWellFormedID(id) else { return nil }
        return try await pool.runIfActive { [outgoing, incoming] in
            for directory in [outgoing, incoming] {
                if let info = try Self.readSidecar(directory + "/\(id).json") { return (directory + "/" + id, info) }
            }
            return nil
        }
    }

    /// Removes `id` (sidecar first, so it stops existing at once); false when unknown.
    public func delete(id: String) async throws -> Bool {
        guard MediaPolicy.isWellFormedID(id) else { return false }
        return try await pool.runIfActive { [outgoing, incoming] in
            for directory in [outgoing, incoming] where unlink(directory + "/\(id).json") == 0 {
                unlink(directory + "/" + id)
                return true
            }
            return false
        }
    }

    /// Records a use of each id (a send referring to it), for media GC's 30 days.
    public func markUsed(_ ids: [String]) async throws {
        let now = clock()
        try await pool.runIfActive { [outgoing, incoming, staging] in
            for id in ids where MediaPolicy.isWellFormedID(id) {
                for directory in [outgoing, incoming] {
                    guard var info = try Self.readSidecar(directory + "/\(id).json") else { continue }
                    info.lastUsed = max(info.lastUsed, now)
                    try Self.writeSidecar(info, id: id, directory: directory, staging: staging)
                    break
                }
            }
        }
    }

    /// Media GC (api.md §11.2): removes every stored file whose last upload, receipt or use is before
    /// `cutoff`, except `exempt` ids (the profile photo). Returns how many were removed.
    public func collect(usedBefore cutoff: Timestamp, exempt: Set<String>) async throws -> Int {
        try await pool.runIfActive { [outgoing, incoming] in
            var removed = 0
            for directory in [outgoing, incoming] {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                for name in names where name.hasSuffix(".json") {
                    let id = String(name.dropLast(5))
                    guard MediaPolicy.isWellFormedID(id), !exempt.contains(id),
                        let info = try? Self.readSidecar(directory + "/" + name), info.lastUsed < cutoff
                    else { continue }
                    // Sidecar first: the id stops existing before its bytes go.
                    if unlink(directory + "/" + name) == 0 {
                        unlink(directory + "/" + id)
                        removed += 1
                    }
                }
            }
            return removed
        }
    }

    private func write(_ buffer: ByteBuffer, to descriptor: Int32, path: String) async throws {
        try await pool.runIfActive { try Self.writeAll(buffer, to: descriptor, path: path) }
    }

    private static func writeAll(_ buffer: ByteBuffer, to descriptor: Int32, path: String) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw MediaStoreError("cannot write \(path): errno \(errno)")
                }
                offset += written
            }
        }
    }

    static func writeSidecar(_ info: MediaInfo, id: String, directory: String, staging: String) throws {
        let document: JSONValue = [
            "mime_type": .string(info.mimeType), "size": .integer(Int64(info.size)), "sha256": .string(info.sha256),
            "created": .integer(info.created.microseconds), "last_used": .integer(info.lastUsed.microseconds),
        ]
        let temporary = staging + "/\(id).json.part"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(document.serialized()), attributes: [.posixPermissions: 0o644])
        else { throw MediaStoreError("cannot write \(temporary)") }
        guard rename(temporary, directory + "/\(id).json") == 0 else { throw MediaStoreError("cannot move \(temporary): errno \(errno)") }
    }

    static func readSidecar(_ path: String) throws -> MediaInfo? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let document = try JSONParser.parse(Array(data))
        guard case .string(let mimeType)? = document["mime_type"], case .integer(let size)? = document["size"],
            case .string(let sha256)? = document["sha256"], case .integer(let created)? = document["created"],
            case .integer(let lastUsed)? = document["last_used"]
        else { throw MediaStoreError("damaged media sidecar \(path)") }
        return MediaInfo(
            mimeType: mimeType, size: Int(size), sha256: sha256, created: Timestamp(microseconds: created),
            lastUsed: Timestamp(microseconds: lastUsed))
    }
}

public struct MediaStoreError: Error, CustomStringConvertible, Equatable {
    public var description: String
    init(_ description: String) { self.description = description }

    static let tooLarge = MediaStoreError("too large")
    static let empty = MediaStoreError("empty")
}
