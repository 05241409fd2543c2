/// The building blocks of event payloads: a version byte, then fields in a fixed order, integers as
/// LEB128 varints, strings and byte strings length-prefixed. Compact and cheap to encode on the hot path.
public struct PayloadWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(version: UInt8, capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(version)
    }

    public mutating func write(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func write(_ value: Int64) {
        write(UInt64(bitPattern: (value << 1) ^ (value >> 63)))  // zig-zag
    }

    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func write(_ value: String) {
        write(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    public mutating func write(bytes value: [UInt8]) {
        write(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func write(_ value: String?) {
        write(value != nil)
        if let value { write(value) }
    }

    public mutating func write(_ values: [String]) {
        write(UInt64(values.count))
        for value in values { write(value) }
    }
}

public struct PayloadReader {
    private let bytes: [UInt8]
    private var index: Int
    public let version: UInt8

    public init(_ bytes: [UInt8]) throws {
        guard let first = bytes.first else { throw RecordError(.malformedPayload, "empty payload") }
        self.bytes = bytes
        self.version = first
        self.index = 1
    }

    public var isAtEnd: Bool { index == bytes.count }

    public mutating func readUInt64() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.count else { throw RecordError(.malformedPayload, "payload ends inside an integer") }
            guard shift < 64 else { throw RecordError(.malformedPayload, "integer too long in payload") }
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    public mutating func readInt64() throws -> Int64 {
        let raw = try readUInt64()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    public mutating func readInt() throws -> Int {
        let value = try readUInt64()
        guard value <= UInt64(Int32.max) else { throw RecordError(.malformedPayload, "length out of range in payload") }
        return Int(value)
    }

    public mutating func readBool() throws -> Bool {
        guard index < bytes.count else { throw RecordError(.malformedPayload, "payload ends inside a flag") }
        defer { index += 1 }
        switch bytes[index] {
        case 0: return false
        case 1: return true
        default: throw RecordError(.malformedPayload, "invalid flag in payload")
        }
    }

    public mutating func readBytes() throws -> [UInt8] {
        let count = try readInt()
        guard bytes.count - index >= count else { throw RecordError(.malformedPayload, "payload ends inside a field") }
        defer { index += count }
        return Array(bytes[index..<(index + count)])
    }

    public mutating func readString() throws -> String {
        let raw = try readBytes()
        guard let string = String(validating: raw, as: UTF8.self) else {
            throw RecordError(.malformedPayload, "invalid UTF-8 in payload")
        }
        return string
    }

    public mutating func readOptionalString() throws -> String? {
        try readBool() ? try readString() : nil
    }

    public mutating func readStrings() throws -> [String] {
        let count = try readInt()
        var values: [String] = []
        for _ in 0..<count { values.append(try readString()) }
        return values
    }

    public func expectEnd() throws {
        guard isAtEnd else { throw RecordError(.malformedPayload, "trailing bytes in payload") }
    }
}
