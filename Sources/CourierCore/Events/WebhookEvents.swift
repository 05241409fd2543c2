/// `receipt` (kind 2): an inbound message from the network (webhooks.md §2).
public struct ReceiptEvent: Hashable, Sendable {
    /// The network's message id (`ABG…`).
    public var messageID: String
    /// The sender's `wa_id`.
    public var from: String
    public var type: String
    /// The type object (`text`, `location`, …) as compact JSON; empty for types without one (`unknown`).
    public var content: [UInt8]
    public var networkTimestamp: Timestamp
    /// The sender's profile name (`contacts[].profile.name`); empty when the network gave none.
    public var profileName: String
    /// Media ids this message refers to (inbound media).
    public var mediaIDs: [String]
    /// `context: {from, id}` when the user replied to a message.
    public var contextFrom: String?
    public var contextID: String?

    public init(
        messageID: String, from: String, type: String, content: [UInt8], networkTimestamp: Timestamp,
        profileName: String = "", mediaIDs: [String] = [], contextFrom: String? = nil, contextID: String? = nil
    ) {
        self.messageID = messageID
        self.from = from
        self.type = type
        self.content = content
        self.networkTimestamp = networkTimestamp
        self.profileName = profileName
        self.mediaIDs = mediaIDs
        self.contextFrom = contextFrom
        self.contextID = contextID
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1, capacity: 64 + content.count)
        writer.write(messageID)
        writer.write(from)
        writer.write(type)
        writer.write(bytes: content)
        writer.write(networkTimestamp.microseconds)
        writer.write(profileName)
        writer.write(mediaIDs)
        writer.write(contextFrom)
        writer.write(contextID)
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .receipt)
        messageID = try reader.readString()
        from = try reader.readString()
        type = try reader.readString()
        content = try reader.readBytes()
        networkTimestamp = Timestamp(microseconds: try reader.readInt64())
        profileName = try reader.readString()
        mediaIDs = try reader.readStrings()
        contextFrom = try reader.readOptionalString()
        contextID = try reader.readOptionalString()
        try reader.expectEnd()
    }
}

/// Seqs of one shard as sorted, non-overlapping closed ranges: how delivery events name positions.
public struct SeqRanges: Hashable, Sendable {
    public private(set) var ranges: [ClosedRange<UInt64>]

    public init(_ seqs: [UInt64]) {
        var ranges: [ClosedRange<UInt64>] = []
        for seq in seqs.sorted() {
            if let last = ranges.last, seq <= last.upperBound + 1 {
                if seq > last.upperBound { ranges[ranges.count - 1] = last.lowerBound...seq }
            } else {
                ranges.append(seq...seq)
            }
        }
        self.ranges = ranges
    }

    init(ranges: [ClosedRange<UInt64>]) { self.ranges = ranges }

    public var seqs: [UInt64] { ranges.flatMap { Array($0) } }
    public var count: Int { ranges.reduce(0) { $0 + $1.count } }

    public func contains(_ seq: UInt64) -> Bool { ranges.contains { $0.contains(seq) } }

    /// `3-5,9` as `courier log` prints it.
    public var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }

    func write(to writer: inout PayloadWriter) {
        writer.write(UInt64(ranges.count))
        for range in ranges {
            writer.write(range.lowerBound)
            writer.write(range.upperBound - range.lowerBound)
        }
    }

    static func read(from reader: inout PayloadReader) throws -> SeqRanges {
        let count = try reader.readInt()
        var ranges: [ClosedRange<UInt64>] = []
        for _ in 0..<count {
            let first = try reader.readUInt64()
            let (last, overflow) = first.addingReportingOverflow(try reader.readUInt64())
            guard !overflow else { throw RecordError(.malformedPayload, "seq range out of bounds") }
            ranges.append(first...last)
        }
        return SeqRanges(ranges: ranges)
    }
}

/// `webhook-delivered` (kind 5): callbacks that a receiver accepted, or that needed no request because
/// their toggle was off when they came due (`attempts` 0, `httpStatus` 0). Covers outbox entries by seq.
public struct WebhookDeliveredEvent: Hashable, Sendable {
    public var positions: SeqRanges
    public var attempts: Int
    public var httpStatus: Int
    public var latencyMicroseconds: Int64

    public init(positions: SeqRanges, attempts: Int, httpStatus: Int, latencyMicroseconds: Int64) {
        self.positions = positions
        self.attempts = attempts
        self.httpStatus = httpStatus
        self.latencyMicroseconds = latencyMicroseconds
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1)
        positions.write(to: &writer)
        writer.write(UInt64(attempts))
        writer.write(UInt64(httpStatus))
        writer.write(latencyMicroseconds)
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .webhookDelivered)
        positions = try SeqRanges.read(from: &reader)
        attempts = try reader.readInt()
        httpStatus = try reader.readInt()
        latencyMicroseconds = try reader.readInt64()
        try reader.expectEnd()
    }
}

/// `webhook-dropped` (kind 6): pending callbacks given up, e.g. with `callback_persist: false` after a
/// restart (webhooks.md §5).
public struct WebhookDroppedEvent: Hashable, Sendable {
    public var positions: SeqRanges
    public var reason: String

    public init(positions: SeqRanges, reason: String) {
        self.positions = positions
        self.reason = reason
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1)
        positions.write(to: &writer)
        writer.write(reason)
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .webhookDropped)
        positions = try SeqRanges.read(from: &reader)
        reason = try reader.readString()
        try reader.expectEnd()
    }
}
