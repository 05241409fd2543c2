/// One logged event in its stored, checksummed form (eventlog.md §4).
///
/// Byte layout, format version 1, every integer big-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `CRLG` (0x43524C47) |
/// | 4 | 1 | format version (1) |
/// | 5 | 1 | flags (0) |
/// | 6 | 2 | kind |
/// | 8 | 2 | shard (`0xFFFF` = control) |
/// | 10 | 8 | seq |
/// | 18 | 8 | epoch |
/// | 26 | 8 | timestamp, µs since the Unix epoch |
/// | 34 | 4 | payload length n (≤ 1 MiB) |
/// | 38 | n | payload |
/// | 38+n | 4 | CRC32C over bytes 0 ..< 38+n |
///
/// The LMDB key is `shard (2) ‖ seq (8)`, big-endian, so byte order equals numeric order.
public struct Record: Hashable, Sendable {
    public var shard: UInt16
    public var seq: UInt64
    public var epoch: UInt64
    public var timestamp: Timestamp
    /// The raw kind code; `EventKind(rawValue:)` is nil for a kind this build does not know.
    public var kindCode: UInt16
    public var payload: [UInt8]

    public init(shard: UInt16, seq: UInt64, epoch: UInt64, timestamp: Timestamp, kind: EventKind, payload: [UInt8]) {
        self.init(shard: shard, seq: seq, epoch: epoch, timestamp: timestamp, kindCode: kind.rawValue, payload: payload)
    }

    public init(shard: UInt16, seq: UInt64, epoch: UInt64, timestamp: Timestamp, kindCode: UInt16, payload: [UInt8]) {
        self.shard = shard
        self.seq = seq
        self.epoch = epoch
        self.timestamp = timestamp
        self.kindCode = kindCode
        self.payload = payload
    }

    public var kind: EventKind? { EventKind(rawValue: kindCode) }

    public static let magic: UInt32 = 0x4352_4C47
    public static let formatVersion: UInt8 = 1
    public static let headerBytes = 38
    public static let trailerBytes = 4
    public static let maximumPayloadBytes = 1 << 20
    public static let controlShard: UInt16 = 0xFFFF

    /// Bytes this record occupies when encoded.
    public var encodedCount: Int { Self.headerBytes + payload.count + Self.trailerBytes }

    /// Writes the record into `buffer`, which must hold exactly `encodedCount` bytes; returns the CRC32C.
    @discardableResult
    public func encode(into buffer: UnsafeMutableRawBufferPointer) -> UInt32 {
        precondition(buffer.count == encodedCount, "record buffer has \(buffer.count) bytes, needs \(encodedCount)")
        precondition(payload.count <= Self.maximumPayloadBytes, "payload exceeds 1 MiB; validate before appending")
        var writer = RawWriter(buffer: buffer)
        writer.put(Self.magic)
        writer.put(Self.formatVersion)
        writer.put(UInt8(0))
        writer.put(kindCode)
        writer.put(shard)
        writer.put(seq)
        writer.put(epoch)
        writer.put(UInt64(bitPattern: timestamp.microseconds))
        writer.put(UInt32(payload.count))
        payload.withUnsafeBytes { writer.put(bytes: $0) }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<writer.offset]))
        writer.put(crc)
        return crc
    }

    public func encoded() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedCount) { storage, count in
            encode(into: UnsafeMutableRawBufferPointer(storage))
            count = encodedCount
        }
    }

    /// Decodes and verifies one record; nothing else is needed (a record stands alone).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Record {
        guard bytes.count >= headerBytes + trailerBytes else {
            throw RecordError(.truncated, "record has \(bytes.count) bytes, fewer than the 42-byte minimum")
        }
        var reader = RawReader(buffer: bytes)
        let magic: UInt32 = reader.take()
        guard magic == Self.magic else { throw RecordError(.badMagic, "not a Courier record (bad magic)") }
        let version: UInt8 = reader.take()
        guard version >= 1 && version <= formatVersion else {
            throw RecordError(.unsupportedVersion, "record format v\(version) is newer than this build (v\(formatVersion))")
        }
        let _: UInt8 = reader.take()
        let kindCode: UInt16 = reader.take()
        let shard: UInt16 = reader.take()
        let seq: UInt64 = reader.take()
        let epoch: UInt64 = reader.take()
        let micros: UInt64 = reader.take()
        let length = Int(reader.take() as UInt32)
        guard length <= maximumPayloadBytes else {
            throw RecordError(.payloadTooLarge, "payload length \(length) exceeds 1 MiB")
        }
        guard bytes.count == headerBytes + length + trailerBytes else {
            throw RecordError(.truncated, "record length \(bytes.count) does not match payload length \(length)")
        }
        let stored = RawReader(buffer: bytes, offset: headerBytes + length).peekUInt32()
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<(headerBytes + length)]))
        guard stored == computed else {
            throw RecordError(.checksumMismatch, "checksum mismatch")
        }
        let payload = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[headerBytes..<(headerBytes + length)]))
        return Record(
            shard: shard, seq: seq, epoch: epoch, timestamp: Timestamp(microseconds: Int64(bitPattern: micros)),
            kindCode: kindCode, payload: payload)
    }

    public static func decode(_ bytes: [UInt8]) throws -> Record {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// The stored CRC32C of an encoded record (its last four bytes).
    public static func storedChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        RawReader(buffer: bytes, offset: bytes.count - trailerBytes).peekUInt32()
    }

    public var checksum: UInt32 {
        let bytes = encoded()
        return bytes.withUnsafeBytes { Self.storedChecksum($0) }
    }

    /// The LMDB key of a position: `shard ‖ seq`, big-endian.
    public static func key(shard: UInt16, seq: UInt64) -> [UInt8] {
        var key = [UInt8](repeating: 0, count: 10)
        key.withUnsafeMutableBytes { buffer in
            var writer = RawWriter(buffer: buffer)
            writer.put(shard)
            writer.put(seq)
        }
        return key
    }

    public static func position(fromKey key: UnsafeRawBufferPointer) -> (shard: UInt16, seq: UInt64)? {
        guard key.count == 10 else { return nil }
        var reader = RawReader(buffer: key)
        return (reader.take(), reader.take())
    }
}


public struct RecordError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        let name: String
        public static let truncated = Code(name: "truncated")
        public static let badMagic = Code(name: "badMagic")
        public static let unsupportedVersion = Code(name: "unsupportedVersion")
        public static let checksumMismatch = Code(name: "checksumMismatch")
        public static let payloadTooLarge = Code(name: "payloadTooLarge")
        public static let malformedPayload = Code(name: "malformedPayload")
        public static let unknownKind = Code(name: "unknownKind")
    }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Big-endian writer over a fixed buffer; bounds are the caller's invariant.
struct RawWriter {
    let buffer: UnsafeMutableRawBufferPointer
    var offset = 0

    mutating func put<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes in
            buffer.baseAddress!.advanced(by: offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        offset += MemoryLayout<T>.size
    }

    mutating func put(bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 {
            buffer.baseAddress!.advanced(by: offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        offset += bytes.count
    }
}

/// Big-endian reader over a buffer whose length the caller has checked.
struct RawReader {
    let buffer: UnsafeRawBufferPointer
    var offset = 0

    mutating func take<T: FixedWidthInteger>() -> T {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + target.count)]))
        }
        offset += MemoryLayout<T>.size
        return T(bigEndian: value)
    }

    func peekUInt32() -> UInt32 {
        var copy = self
        return copy.take()
    }
}
