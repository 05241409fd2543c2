import CourierCore
import CourierLog
import Foundation

/// A node's data directory: `courier.json` (format and node id), `log/` (event log segments).
public struct DataDirectory: Sendable {
    public let path: String
    public let nodeID: String

    public static let markerName = "courier.json"
    public static let formatVersion = 1

    public var logPath: String { path + "/log" }
    public var snapshotsPath: String { path + "/snapshots" }
    /// The node's own TLS material when `--tls` runs without a given certificate.
    public var tlsPath: String { path + "/tls" }
    public var markerPath: String { path + "/" + Self.markerName }
    /// The replicator's last reported watermarks and lag, for `courier log list|stats` beside or after a node.
    public var replicationStatusPath: String { path + "/replication.json" }

    /// Opens an existing data directory, read-only: for `courier log`.
    public static func openExisting(_ path: String) throws -> DataDirectory {
        let marker = path + "/" + markerName
        guard FileManager.default.fileExists(atPath: marker), let data = FileManager.default.contents(atPath: marker) else {
            if !FileManager.default.fileExists(atPath: path) {
                throw AppError("\(path) does not exist; pass --data-dir or set COURIER_DATA_DIR")
            }
            throw AppError("\(path) is not a Courier data directory (no \(markerName)); pass --data-dir")
        }
        guard let value = try? JSONParser.parse(Array(data)),  // any parse failure means the same thing here
            case .integer(let format)? = value["format"], let nodeID = value["node_id"]?.stringValue
        else {
            throw AppError("\(marker) is damaged; it should hold {\"format\":1,\"node_id\":…}")
        }
        guard format <= formatVersion else {
            throw AppError("\(path) was written by a newer Courier (data format \(format), this build reads \(formatVersion))")
        }
        return DataDirectory(path: path, nodeID: nodeID)
    }

    /// Opens the data directory, creating it (and a node id) on first start.
    public static func openOrCreate(_ path: String, newNodeID: () -> String) throws -> DataDirectory {
        if FileManager.default.fileExists(atPath: path + "/" + markerName) { return try openExisting(path) }
        if FileManager.default.fileExists(atPath: path + "/log") {
            throw AppError("\(path) has a log/ but no \(markerName); it is not a Courier data directory")
        }
        do {
            try FileManager.default.createDirectory(atPath: path + "/log", withIntermediateDirectories: true)
        } catch {
            throw AppError("cannot create data directory \(path): \(error.localizedDescription)")
        }
        let nodeID = newNodeID()
        let marker: JSONValue = ["format": .integer(Int64(formatVersion)), "node_id": .string(nodeID)]
        let bytes = marker.serialized() + [0x0A]
        guard FileManager.default.createFile(atPath: path + "/" + markerName, contents: Data(bytes)) else {
            throw AppError("cannot write \(path)/\(markerName): check permissions and free space")
        }
        return DataDirectory(path: path, nodeID: nodeID)
    }

    /// Checks that the directory is writable (create, write, delete a probe) and above the free-space floor.
    public func checkWritable(minimumFreeBytes: Int) throws {
        let probe = path + "/.probe-\(nodeID)"
        guard FileManager.default.createFile(atPath: probe, contents: Data("probe".utf8)) else {
            throw AppError("\(path) is not writable: cannot create a probe file")
        }
        try? FileManager.default.removeItem(atPath: probe)  // leaving a probe behind is harmless
        let attributes = try? FileManager.default.attributesOfFileSystem(forPath: path)  // unknown free space: skip the check
        if let free = (attributes?[.systemFreeSize] as? NSNumber)?.intValue, free < minimumFreeBytes {
            throw AppError(
                "\(path) has \(free) bytes free, below COURIER_MIN_FREE_BYTES (\(minimumFreeBytes)); free space or lower the floor")
        }
    }
}

/// Free space of the file system holding a path (statvfs), nil when unknown.
enum FreeSpace {
    static func bytes(_ path: String) -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }
}
