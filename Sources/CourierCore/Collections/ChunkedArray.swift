/// An array stored as fixed-size chunks, so that copy-on-write after a copy (a snapshot encoding the
/// state off the actor) copies one chunk of 4 096 elements and the table of chunks, never the whole
/// array: appending to a shard's creation order while a snapshot of a million messages is being
/// written costs what appending to a small array does.
public struct ChunkedArray<Element>: RandomAccessCollection, MutableCollection {
    static var chunkShift: Int { 12 }
    static var chunkMask: Int { (1 << chunkShift) - 1 }

    private var chunks: [[Element]] = []
    public private(set) var endIndex = 0

    public init() {}

    public init<S: Sequence>(_ elements: S) where S.Element == Element {
        for element in elements { append(element) }
    }

    public var startIndex: Int { 0 }

    public subscript(position: Int) -> Element {
        get {
            precondition(position >= 0 && position < endIndex, "index \(position) out of range 0..<\(endIndex)")
            return chunks[position >> Self.chunkShift][position & Self.chunkMask]
        }
        set {
            precondition(position >= 0 && position < endIndex, "index \(position) out of range 0..<\(endIndex)")
            chunks[position >> Self.chunkShift][position & Self.chunkMask] = newValue
        }
    }

    public mutating func append(_ element: Element) {
        if endIndex & Self.chunkMask == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(1 << Self.chunkShift)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        endIndex += 1
    }

    /// Removes the elements `shouldRemove` accepts, keeping the order (a full rebuild: for rare passes
    /// such as the end of a GC run).
    public mutating func removeAll(where shouldRemove: (Element) throws -> Bool) rethrows {
        var kept = ChunkedArray()
        for chunk in chunks {
            for element in chunk where try !shouldRemove(element) { kept.append(element) }
        }
        self = kept
    }
}

extension ChunkedArray: Equatable where Element: Equatable {
    public static func == (lhs: ChunkedArray, rhs: ChunkedArray) -> Bool { lhs.elementsEqual(rhs) }
}

extension ChunkedArray: Hashable where Element: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for element in self { hasher.combine(element) }
    }
}

extension ChunkedArray: Sendable where Element: Sendable {}
