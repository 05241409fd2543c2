/// Rows in PostgreSQL's binary COPY format (the `COPY … FROM STDIN (FORMAT binary)` stream):
/// a signature header, then per row a 16-bit field count and length-prefixed big-endian fields.
/// Each field's type must match its column exactly (int2/int4/int8/bytea/text).
public struct BinaryCopyWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 1 << 16) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes += Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
        append(Int32(0))  // flags
        append(Int32(0))  // header extension length
    }

    public mutating func beginRow(fields: Int) { append(Int16(fields)) }

    public mutating func int16(_ value: Int16) {
        append(Int32(2))
        append(value)
    }

    public mutating func int32(_ value: Int32) {
        append(Int32(4))
        append(value)
    }

    public mutating func int64(_ value: Int64) {
        append(Int32(8))
        append(value)
    }

    public mutating func bytea(_ value: [UInt8]) {
        append(Int32(value.count))
        bytes += value
    }

    public mutating func text(_ value: String) { bytea(Array(value.utf8)) }

    /// The finished stream: rows plus the trailer.
    public func finished() -> [UInt8] {
        var copy = self
        copy.append(Int16(-1))
        return copy.bytes
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }
}
