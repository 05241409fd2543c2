/// A shard's pending callbacks in seq order, found by seq (webhooks.md §5).
///
/// Entries arrive in seq order (new events) and leave roughly in that order (deliveries), so they are
/// kept in chunks of up to 4 096 by ascending seq: adding appends to the last chunk, removing marks a slot
/// empty and drops the chunk once none is left, reading in seq order needs no sort, and copy-on-write
/// after a copy (a snapshot written off the actor) copies one chunk, not the outbox.
public struct OutboxQueue: Sendable {
    struct Chunk: Sendable {
        var seqs: [UInt64] = []
        var entries: [OutboxEntry?] = []
        var live = 0
    }

    static var chunkCapacity: Int { 4096 }

    private var chunks: [Chunk] = []
    /// Pending entries.
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// The entry made by the event at `seq`, if still pending; setting nil removes it.
    public subscript(seq: UInt64) -> OutboxEntry? {
        get {
            guard let (chunk, slot) = locate(seq) else { return nil }
            return chunks[chunk].entries[slot]
        }
        set {
            if let entry = newValue {
                precondition(entry.seq == seq, "outbox entry of seq \(entry.seq) stored at \(seq)")
                insert(entry)
            } else {
                remove(seq)
            }
        }
    }

    /// The oldest pending entry.
    public var first: OutboxEntry? {
        guard let chunk = chunks.first else { return nil }
        return chunk.entries.first { $0 != nil } ?? nil
    }

    /// Pending seqs, ascending.
    public var seqs: [UInt64] { map(\.seq) }

    private mutating func insert(_ entry: OutboxEntry) {
        let seq = entry.seq
        if chunks.isEmpty || seq > chunks[chunks.count - 1].seqs.last! {
            if chunks.isEmpty || chunks[chunks.count - 1].seqs.count >= Self.chunkCapacity {
                var chunk = Chunk()
                chunk.seqs.reserveCapacity(Self.chunkCapacity)
                chunk.entries.reserveCapacity(Self.chunkCapacity)
                chunks.append(chunk)
            }
            let last = chunks.count - 1
            chunks[last].seqs.append(seq)
            chunks[last].entries.append(entry)
            chunks[last].live += 1
            count += 1
            return
        }
        // Out of order (a restored or moved entry): into the chunk whose range holds it.
        let chunk = chunkIndex(for: seq)
        let slot = Self.lowerBound(seq, in: chunks[chunk].seqs)
        if slot < chunks[chunk].seqs.count, chunks[chunk].seqs[slot] == seq {
            if chunks[chunk].entries[slot] == nil {
                chunks[chunk].live += 1
                count += 1
            }
            chunks[chunk].entries[slot] = entry
        } else {
            chunks[chunk].seqs.insert(seq, at: slot)
            chunks[chunk].entries.insert(entry, at: slot)
            chunks[chunk].live += 1
            count += 1
        }
    }

    private mutating func remove(_ seq: UInt64) {
        guard let (chunk, slot) = locate(seq), chunks[chunk].entries[slot] != nil else { return }
        chunks[chunk].entries[slot] = nil
        chunks[chunk].live -= 1
        count -= 1
        if chunks[chunk].live == 0 {
            chunks.remove(at: chunk)
        } else if chunks[chunk].seqs.count >= 1024, chunks[chunk].live * 4 < chunks[chunk].seqs.count {
            // Mostly delivered, a few held back (a recipient in backoff): keep only the live slots.
            var compacted = Chunk()
            for (seq, entry) in zip(chunks[chunk].seqs, chunks[chunk].entries) where entry != nil {
                compacted.seqs.append(seq)
                compacted.entries.append(entry)
            }
            compacted.live = compacted.seqs.count
            chunks[chunk] = compacted
        }
    }

    /// The chunk whose seq range holds `seq`, or where it would go (the last one when beyond all).
    private func chunkIndex(for seq: UInt64) -> Int {
        var low = 0
        var high = chunks.count - 1
        while low < high {
            let middle = (low + high) / 2
            if chunks[middle].seqs.last! < seq { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private func locate(_ seq: UInt64) -> (chunk: Int, slot: Int)? {
        guard !chunks.isEmpty else { return nil }
        let chunk = chunkIndex(for: seq)
        let slot = Self.lowerBound(seq, in: chunks[chunk].seqs)
        guard slot < chunks[chunk].seqs.count, chunks[chunk].seqs[slot] == seq else { return nil }
        return (chunk, slot)
    }

    private static func lowerBound(_ seq: UInt64, in seqs: [UInt64]) -> Int {
        var low = 0
        var high = seqs.count
        while low < high {
            let middle = (low + high) / 2
            if seqs[middle] < seq { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

extension OutboxQueue: Sequence {
    /// Pending entries in seq order.
    public func makeIterator() -> some IteratorProtocol<OutboxEntry> {
        chunks.lazy.flatMap { $0.entries.lazy.compactMap { $0 } }.makeIterator()
    }
}

extension OutboxQueue: Hashable {
    public static func == (lhs: OutboxQueue, rhs: OutboxQueue) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(first?.seq)
    }
}
