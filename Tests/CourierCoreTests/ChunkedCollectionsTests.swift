@testable import CourierCore
import Testing

/// The chunked containers behind shard state, checked against the plain containers they replace on
/// seeded random operation sequences (a failure names its seed).
@Suite struct ChunkedCollectionsTests {
    static func entry(_ seq: UInt64) -> OutboxEntry {
        OutboxEntry(
            shard: 0, seq: seq, waID: "1631555\(seq % 97)",
            item: .status(StatusEvent(messageID: "m\(seq)", waID: "1631555\(seq % 97)", status: .sent, networkTimestamp: .zero)),
            createdAt: Timestamp(microseconds: Int64(seq)))
    }

    @Test(arguments: [1, 2, 3, 7, 42, 1_000] as [UInt64])
    func outboxQueueBehavesLikeASortedDictionary(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var queue = OutboxQueue()
        var reference: [UInt64: OutboxEntry] = [:]
        var nextSeq: UInt64 = 1
        var copies: [(OutboxQueue, [UInt64])] = []
        for step in 0..<30_000 {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<55:  // a new event's entry: the next seq, sometimes after a gap
                nextSeq += UInt64.random(in: 1...3, using: &random)
                queue[nextSeq] = Self.entry(nextSeq)
                reference[nextSeq] = Self.entry(nextSeq)
            case 55..<85:  // a delivery, mostly of old entries
                guard nextSeq > 1 else { continue }
                let seq = Bool.random(using: &random)
                    ? (reference.keys.min() ?? 1) : UInt64.random(in: 1...nextSeq, using: &random)
                queue[seq] = nil
                reference[seq] = nil
            case 85..<95:  // an out-of-order insert (a restored or moved entry), possibly existing
                let seq = UInt64.random(in: 1...nextSeq, using: &random)
                queue[seq] = Self.entry(seq)
                reference[seq] = Self.entry(seq)
            case 95..<98:
                let seq = UInt64.random(in: 1...(nextSeq + 2), using: &random)
                #expect(queue[seq] == reference[seq], "seed \(seed) step \(step): lookup of \(seq)")
            default:  // a snapshot's copy, which later mutations must not change
                copies.append((queue, reference.keys.sorted()))
            }
            #expect(queue.count == reference.count, "seed \(seed) step \(step)")
        }
        #expect(queue.seqs == reference.keys.sorted(), "seed \(seed)")
        #expect(Array(queue) == reference.keys.sorted().map { reference[$0]! }, "seed \(seed)")
        #expect(queue.first?.seq == reference.keys.min(), "seed \(seed)")
        for (copy, seqs) in copies { #expect(copy.seqs == seqs, "seed \(seed): a copy changed") }
    }

    @Test func outboxQueueEqualityIgnoresHowItWasBuilt() {
        var appended = OutboxQueue()
        for seq in 1...10_000 as ClosedRange<UInt64> { appended[seq] = Self.entry(seq) }
        for seq in stride(from: UInt64(1), through: 10_000, by: 2) { appended[seq] = nil }
        var direct = OutboxQueue()
        for seq in stride(from: UInt64(10_000), through: 2, by: -2) { direct[seq] = Self.entry(seq) }
        #expect(appended == direct)
        #expect(appended.count == 5_000)
        direct[4] = nil
        #expect(appended != direct)
        #expect(OutboxQueue().first == nil && OutboxQueue().isEmpty)
    }

    @Test(arguments: [5, 6, 99] as [UInt64])
    func chunkedArrayBehavesLikeAnArray(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var chunked = ChunkedArray<String>()
        var reference: [String] = []
        var copies: [(ChunkedArray<String>, [String])] = []
        for step in 0..<20_000 {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<70:
                chunked.append("m\(step)")
                reference.append("m\(step)")
            case 70..<90:
                guard !reference.isEmpty else { continue }
                let index = Int.random(in: 0..<reference.count, using: &random)
                chunked[index] = ""
                reference[index] = ""
            case 90..<92:
                chunked.removeAll { $0.isEmpty }
                reference.removeAll { $0.isEmpty }
            default:
                copies.append((chunked, reference))
            }
        }
        #expect(Array(chunked) == reference, "seed \(seed)")
        #expect(chunked.count == reference.count)
        #expect(chunked[..<(reference.count / 2)].filter(\.isEmpty).count == reference[..<(reference.count / 2)].filter(\.isEmpty).count)
        for (copy, elements) in copies { #expect(Array(copy) == elements, "seed \(seed): a copy changed") }
        var sorted = chunked
        sorted.sort()
        #expect(Array(sorted) == reference.sorted())
    }

    @Test(arguments: [11, 12, 13] as [UInt64])
    func bucketedDictionaryBehavesLikeADictionary(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var bucketed = BucketedDictionary<String, Int>()
        var reference: [String: Int] = [:]
        var copies: [(BucketedDictionary<String, Int>, [String: Int])] = []
        for step in 0..<20_000 {
            let key = "m\(Int.random(in: 0..<3_000, using: &random))"
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<50:
                bucketed[key] = step
                reference[key] = step
            case 50..<75:
                bucketed[key] = nil
                reference[key] = nil
            case 75..<85:
                #expect(bucketed.removeValue(forKey: key) == reference.removeValue(forKey: key), "seed \(seed) step \(step)")
            case 85..<98:
                #expect(bucketed[key] == reference[key], "seed \(seed) step \(step)")
            default:
                copies.append((bucketed, reference))
            }
            #expect(bucketed.count == reference.count, "seed \(seed) step \(step)")
        }
        #expect(Dictionary(uniqueKeysWithValues: bucketed.map { ($0.key, $0.value) }) == reference)
        #expect(Set(bucketed.keys) == Set(reference.keys))
        #expect(bucketed.values.sorted() == reference.values.sorted())
        let even = bucketed.filter { $0.value % 2 == 0 }
        #expect(Dictionary(uniqueKeysWithValues: even.map { ($0.key, $0.value) }) == reference.filter { $0.value % 2 == 0 })
        for (copy, elements) in copies {
            #expect(Dictionary(uniqueKeysWithValues: copy.map { ($0.key, $0.value) }) == elements, "seed \(seed): a copy changed")
        }
        var other = BucketedDictionary<String, Int>()
        for (key, value) in reference.sorted(by: { $0.key > $1.key }) { other[key] = value }
        #expect(other == bucketed)
        other[reference.keys.first ?? "x"] = -1
        #expect(other != bucketed)
    }

    /// After GC empties most of a map its buckets shrink (a snapshot's copy-on-write then copies small
    /// tables), keeping every entry and leaving copies taken before untouched.
    @Test func bucketedDictionaryShrinksWhenMostEntriesAreRemoved() {
        var bucketed = BucketedDictionary<String, Int>()
        for index in 0..<200_000 { bucketed["gBG0-\(index)"] = index }
        let full = bucketed.capacity
        #expect(full >= 200_000)
        let copy = bucketed
        var reference: [String: Int] = [:]
        for index in 0..<200_000 {
            let key = "gBG0-\(index)"
            if index % 50 == 0 {
                reference[key] = index
                #expect(bucketed.removeValue(forKey: key, where: { $0 != index }) == nil)
            } else if index % 3 == 0 {
                #expect(bucketed.removeValue(forKey: key, where: { $0 == index }) == index)
                #expect(bucketed.removeValue(forKey: key, where: { _ in true }) == nil)
            } else if index % 2 == 0 {
                bucketed[key] = nil
            } else {
                #expect(bucketed.removeValue(forKey: key) == index)
            }
        }
        #expect(bucketed.count == 4_000)
        #expect(bucketed.capacity <= full / 8, "capacity \(bucketed.capacity) of \(full)")
        #expect(Dictionary(uniqueKeysWithValues: bucketed.map { ($0.key, $0.value) }) == reference)
        #expect(copy.count == 200_000)
        #expect(copy["gBG0-1"] == 1 && copy["gBG0-199999"] == 199_999)
        // Growing again after the shrink works as before.
        for index in 200_000..<260_000 { bucketed["gBG0-\(index)"] = index }
        #expect(bucketed.count == 64_000)
        #expect(bucketed["gBG0-259999"] == 259_999 && bucketed["gBG0-50"] == 50 && bucketed["gBG0-51"] == nil)
    }
}
