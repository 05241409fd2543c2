/// A dictionary split into 256 buckets by key hash, so that copy-on-write after a copy (a snapshot
/// encoding the state off the actor) copies the buckets as they are touched, each 1/256 of the whole,
/// instead of the whole map on the next mutation. Lookups cost what a `Dictionary` lookup costs plus
/// choosing the bucket.
public struct BucketedDictionary<Key: Hashable, Value>: Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: Key, value: Value)

    static var bucketCount: Int { 256 }

    private var buckets: [[Key: Value]]
    public private(set) var count = 0

    public init() { buckets = Array(repeating: [:], count: Self.bucketCount) }

    public init(dictionaryLiteral elements: (Key, Value)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }

    public var isEmpty: Bool { count == 0 }

    private static func bucket(of key: Key) -> Int { key.hashValue & (bucketCount - 1) }

    public subscript(key: Key) -> Value? {
        get { buckets[Self.bucket(of: key)][key] }
        set {
            let bucket = Self.bucket(of: key)
            if let newValue {
                if buckets[bucket].updateValue(newValue, forKey: key) == nil { count += 1 }
            } else if buckets[bucket].removeValue(forKey: key) != nil {
                count -= 1
                shrinkIfSparse(bucket)
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        let bucket = Self.bucket(of: key)
        let removed = buckets[bucket].removeValue(forKey: key)
        if removed != nil {
            count -= 1
            shrinkIfSparse(bucket)
        }
        return removed
    }

    /// Removes and returns the value for `key` if `shouldRemove` accepts it, hashing the key once (a GC
    /// step looks up and removes each message it examines).
    public mutating func removeValue(forKey key: Key, where shouldRemove: (Value) throws -> Bool) rethrows -> Value? {
        let bucket = Self.bucket(of: key)
        guard let index = buckets[bucket].index(forKey: key), try shouldRemove(buckets[bucket].values[index]) else { return nil }
        let removed = buckets[bucket].remove(at: index).value
        count -= 1
        shrinkIfSparse(bucket)
        return removed
    }

    /// Buckets at or below this capacity are never shrunk.
    static var shrinkFloor: Int { 48 }

    /// A `Dictionary` keeps its capacity when entries are removed, and copy-on-write copies the whole
    /// capacity: after message GC emptied a map of millions, the first send into each bucket after a
    /// snapshot's copy paid for copying a table sized for thousands (about 150 µs each at 2 000 per
    /// bucket). A bucket down to an eighth of its capacity is rebuilt with room for twice its count:
    /// amortized O(1) per removal (a rebuild moves at most twice as many entries as were removed since
    /// the table last grew or was rebuilt), and no back-and-forth with growth (the rebuilt table is at
    /// most half full).
    private mutating func shrinkIfSparse(_ bucket: Int) {
        let capacity = buckets[bucket].capacity
        guard capacity > Self.shrinkFloor, buckets[bucket].count * 8 < capacity else { return }
        var rebuilt = [Key: Value](minimumCapacity: buckets[bucket].count * 2)
        for (key, value) in buckets[bucket] { rebuilt[key] = value }
        buckets[bucket] = rebuilt
    }

    /// Entries the buckets can hold without growing (tests).
    var capacity: Int { buckets.reduce(0) { $0 + $1.capacity } }

    public func makeIterator() -> some IteratorProtocol<Element> {
        buckets.lazy.flatMap { $0.lazy.map { (key: $0.key, value: $0.value) } }.makeIterator()
    }

    public var keys: LazyMapSequence<BucketedDictionary, Key> { lazy.map(\.key) }
    public var values: LazyMapSequence<BucketedDictionary, Value> { lazy.map(\.value) }

    /// The entries `isIncluded` accepts, as a dictionary of the same kind.
    public func filter(_ isIncluded: (Element) throws -> Bool) rethrows -> BucketedDictionary {
        var kept = BucketedDictionary()
        for element in self where try isIncluded(element) { kept[element.key] = element.value }
        return kept
    }
}

extension BucketedDictionary: Equatable where Value: Equatable {
    public static func == (lhs: BucketedDictionary, rhs: BucketedDictionary) -> Bool {
        lhs.count == rhs.count && lhs.allSatisfy { rhs[$0.key] == $0.value }
    }
}

extension BucketedDictionary: Hashable where Value: Hashable {
    public func hash(into hasher: inout Hasher) { hasher.combine(count) }
}

extension BucketedDictionary: Sendable where Key: Sendable, Value: Sendable {}
