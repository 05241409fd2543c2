/// `<name>.<yyyymmddThhmmssZ>` with `-<n>` when several rotations of one file share a second; the rotated
/// file in the log directory carries it bare, its archive with `.gz` (operations.md §5.1).
struct ArchiveName: Hashable, Comparable, Sendable {
    var stamp: String
    var collision: Int

    var suffix: String { collision == 0 ? stamp : "\(stamp)-\(collision)" }

    func fileName(_ name: String, extension fileExtension: String = "") -> String {
        "\(name).\(suffix)\(fileExtension)"
    }

    /// Parses `fileName` as `<name>.<stamp>[-n]<fileExtension>`; nil for any other file.
    static func parse(_ fileName: String, name: String, extension fileExtension: String = "") -> ArchiveName? {
        guard fileName.hasPrefix(name + "."), fileName.hasSuffix(fileExtension) else { return nil }
        let middle = Array(fileName.utf8.dropFirst(name.utf8.count + 1).dropLast(fileExtension.utf8.count))
        guard middle.count >= 16, isStamp(middle[0..<16]) else { return nil }
        let stamp = String(decoding: middle[0..<16], as: UTF8.self)
        guard middle.count > 16 else { return ArchiveName(stamp: stamp, collision: 0) }
        let tail = middle[17...]
        guard middle[16] == UInt8(ascii: "-"), !tail.isEmpty, tail.count < 10,
            tail.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let collision = Int(String(decoding: tail, as: UTF8.self)), collision > 0
        else { return nil }
        return ArchiveName(stamp: stamp, collision: collision)
    }

    /// `yyyymmddThhmmssZ`.
    private static func isStamp(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.enumerated().allSatisfy { offset, byte in
            switch offset {
            case 8: byte == UInt8(ascii: "T")
            case 15: byte == UInt8(ascii: "Z")
            default: (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            }
        }
    }

    static func < (lhs: ArchiveName, rhs: ArchiveName) -> Bool {
        (lhs.stamp, lhs.collision) < (rhs.stamp, rhs.collision)
    }
}
