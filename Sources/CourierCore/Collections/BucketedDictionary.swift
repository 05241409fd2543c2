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
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        let removed = buckets[Self.bucket(of: key)].removeValue(forKey: key)
        if removed != nil { count -= 1 }
        return removed
    }

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
