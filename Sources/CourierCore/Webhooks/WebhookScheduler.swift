/// One callback: entries of one shard and one class (inbound or statuses), posted together. Its
/// composition never changes, so `X-Courier-Delivery` is identical on every retry.
public struct WebhookBatch: Hashable, Sendable {
    public var id: UInt64
    public var shard: UInt16
    public var entries: [OutboxEntry]
    /// `X-Courier-Attempt`: 1 on the first try.
    public var attempt: Int

    public var isInbound: Bool { entries[0].isInbound }
    public var lane: OutboxLane { entries[0].lane }
    /// `X-Courier-Delivery: <shard>:<first seq>-<last seq>`.
    public var delivery: String {
        let seqs = entries.map(\.seq)
        return "\(shard):\(seqs.min()!)-\(seqs.max()!)"
    }
    public var waIDs: Set<String> { Set(entries.map(\.waID)) }
}

/// What is due now: callbacks to post, and entries whose toggle is off, to be covered without a request.
public struct WebhookWork: Hashable, Sendable {
    public var post: [WebhookBatch] = []
    public var skip: [OutboxEntry] = []
    public var isEmpty: Bool { post.isEmpty && skip.isEmpty }
}

/// The delivery rules of webhooks.md §5 as a pure state machine, driven with `now`:
/// per-`wa_id` log order with the next entry held until the previous one succeeded; at most
/// `max_concurrent_requests` callbacks outstanding; batches of up to `max_batch_size` entries of one
/// class and one shard; after the n-th consecutive failure a wait of `min(n × delay, cap)`; any success
/// retries every waiting callback at once with its failure count reset; an empty URL posts nothing.
///
/// Free `wa_id`s wait in a heap ordered by their head's age, retries in a heap by time and in a FIFO by
/// when they were parked (for the reset on success); stale heap elements are skipped when popped. No
/// operation scans every `wa_id`, so a large backlog (receiver down for hours) stays cheap.
public struct WebhookScheduler: Sendable {
    /// One `wa_id`'s pending entries in (shard, seq) order, and what holds it back.
    struct Queue: Sendable {
        var entries: [OutboxEntry] = []
        var failures = 0
        /// Failures count only within the success epoch they were made in (a success resets them all).
        var failureEpoch: UInt64 = 0
        /// The batch (in flight or waiting to retry) holding this `wa_id`'s head.
        var batch: UInt64? = nil
    }

    struct Tracked: Sendable {
        var batch: WebhookBatch
        /// nil while in flight; else when to post it again.
        var retryAt: Timestamp?
        /// The event counter when it was parked: names its heap and FIFO elements.
        var parkedAt: UInt64 = 0
    }

    struct ReadyKey: Comparable, Sendable {
        var createdAt: Timestamp
        var shard: UInt16
        var seq: UInt64
        var waID: String

        static func < (lhs: ReadyKey, rhs: ReadyKey) -> Bool {
            (lhs.createdAt, lhs.shard, lhs.seq, lhs.waID) < (rhs.createdAt, rhs.shard, rhs.seq, rhs.waID)
        }
    }

    struct RetryKey: Comparable, Sendable {
        var at: Timestamp
        var batchID: UInt64
        var parkedAt: UInt64

        static func < (lhs: RetryKey, rhs: RetryKey) -> Bool { (lhs.at, lhs.batchID) < (rhs.at, rhs.batchID) }
    }

    struct EntryKey: Hashable, Sendable {
        var shard: UInt16
        var seq: UInt64
    }

    var queues: [String: Queue] = [:]
    var batches: [UInt64: Tracked] = [:]
    var known: Set<EntryKey> = []
    private var ready = MinimumHeap<ReadyKey>()
    private var retries = MinimumHeap<RetryKey>()
    private var parkedOrder: [(parkedAt: UInt64, batchID: UInt64)] = []
    private var parkedHead = 0
    private var counter: UInt64 = 0
    private var lastSuccess: UInt64 = 0
    private var successEpoch: UInt64 = 0
    private var nextBatchID: UInt64 = 1
    public private(set) var inFlightCount = 0
    public private(set) var waitingCount = 0

    public init() {}

    /// Entries pending here, in flight included (`callback_queue_size`).
    public var pendingCount: Int { known.count }

    /// Adds an owed callback; entries already known are ignored (replay and live release may overlap).
    public mutating func enqueue(_ entry: OutboxEntry) {
        guard known.insert(EntryKey(shard: entry.shard, seq: entry.seq)).inserted else { return }
        var queue = queues[entry.waID] ?? Queue()
        let oldHead = queue.entries.first.map { EntryKey(shard: $0.shard, seq: $0.seq) }
        var index = queue.entries.lastIndex { ($0.shard, $0.seq) < (entry.shard, entry.seq) }.map { $0 + 1 } ?? 0
        // An entry never goes before one already part of a batch: those are the oldest by construction.
        if let id = queue.batch, let tracked = batches[id] {
            index = max(index, tracked.batch.entries.filter { $0.waID == entry.waID }.count)
        }
        queue.entries.insert(entry, at: index)
        queues[entry.waID] = queue
        if queue.batch == nil, oldHead != EntryKey(shard: queue.entries[0].shard, seq: queue.entries[0].seq) {
            pushReady(entry.waID, queue)
        }
    }

    /// Forgets entries that moved to another shard under a new identity (resharding): those not part of a
    /// batch leave their queue; one in flight or waiting to retry stays (its repeat under the new identity is
    /// an at-least-once duplicate).
    public mutating func forget(_ entries: [OutboxEntry]) {
        for entry in entries {
            let key = EntryKey(shard: entry.shard, seq: entry.seq)
            guard known.contains(key), var queue = queues[entry.waID] else { continue }
            if let id = queue.batch, batches[id]?.batch.entries.contains(where: { $0.shard == entry.shard && $0.seq == entry.seq }) == true {
                continue
            }
            guard let index = queue.entries.firstIndex(where: { $0.shard == entry.shard && $0.seq == entry.seq }) else { continue }
            queue.entries.remove(at: index)
            known.remove(key)
            queues[entry.waID] = queue.entries.isEmpty && queue.batch == nil ? nil : queue
            if index == 0, queue.batch == nil { pushReady(entry.waID, queue) }
        }
    }

    private mutating func pushReady(_ waID: String, _ queue: Queue) {
        guard let head = queue.entries.first else { return }
        ready.push(ReadyKey(createdAt: head.createdAt, shard: head.shard, seq: head.seq, waID: waID))
    }

    /// Decides what goes out at `now` under `settings`; marks posted batches in flight. Toggled-off heads
    /// met on the way are returned in `skip`, to be covered without a request.
    public mutating func due(now: Timestamp, settings: WebhookSettings) -> WebhookWork {
        var work = WebhookWork()
        guard !settings.url.isEmpty else { return work }
        var capacity = settings.maxConcurrentRequests - inFlightCount
        while capacity > 0, let id = nextDueRetry(now: now) {
            var tracked = batches[id]!
            tracked.batch.attempt += 1
            tracked.retryAt = nil
            batches[id] = tracked
            waitingCount -= 1
            inFlightCount += 1
            work.post.append(tracked.batch)
            capacity -= 1
        }
        while capacity > 0, let batch = nextNewBatch(settings, skip: &work.skip) {
            batches[batch.id] = Tracked(batch: batch, retryAt: nil)
            for waID in batch.waIDs { queues[waID]?.batch = batch.id }
            inFlightCount += 1
            work.post.append(batch)
            capacity -= 1
        }
        work.skip.sort { ($0.shard, $0.seq) < ($1.shard, $1.seq) }
        return work
    }

    /// A parked callback that may go again: its time came, or a success came after it was parked.
    private mutating func nextDueRetry(now: Timestamp) -> UInt64? {
        while let top = retries.minimum {
            guard let tracked = batches[top.batchID], tracked.retryAt != nil, tracked.parkedAt == top.parkedAt else {
                _ = retries.popMinimum()  // stale: retried or finished since
                continue
            }
            guard top.at <= now else { break }
            _ = retries.popMinimum()
            return top.batchID
        }
        while parkedHead < parkedOrder.count {
            let parked = parkedOrder[parkedHead]
            guard let tracked = batches[parked.batchID], tracked.retryAt != nil, tracked.parkedAt == parked.parkedAt else {
                parkedHead += 1
                continue
            }
            guard parked.parkedAt < lastSuccess else { break }
            parkedHead += 1
            return parked.batchID
        }
        if parkedHead > 1024, parkedHead * 2 > parkedOrder.count {
            parkedOrder.removeFirst(parkedHead)
            parkedHead = 0
        }
        return nil
    }

    /// The next batch: the oldest free head decides shard and class; then that `wa_id`'s following
    /// entries of the same class, then other free `wa_id`s of the same shard and class, oldest first.
    /// Free `wa_id`s of another shard or class met while filling it (at most 64) go back to the heap.
    private mutating func nextNewBatch(_ settings: WebhookSettings, skip: inout [OutboxEntry]) -> WebhookBatch? {
        var entries: [OutboxEntry] = []
        var putBack: [ReadyKey] = []
        var first: (shard: UInt16, lane: OutboxLane)? = nil
        while entries.count < settings.maxBatchSize, putBack.count < 64, let key = ready.popMinimum() {
            guard var queue = queues[key.waID], queue.batch == nil, let head = queue.entries.first,
                head.shard == key.shard, head.seq == key.seq
            else { continue }  // stale: the head moved or the wa_id is busy
            if !settings.posts(head) {
                skip.append(queue.entries.removeFirst())
                known.remove(EntryKey(shard: head.shard, seq: head.seq))
                queues[key.waID] = queue.entries.isEmpty ? nil : queue
                pushReady(key.waID, queue)
                continue
            }
            let class_ = first ?? (head.shard, head.lane)
            first = class_
            guard head.shard == class_.shard, head.lane == class_.lane else {
                putBack.append(key)
                continue
            }
            for entry in queue.entries {
                guard entries.count < settings.maxBatchSize, entry.lane == class_.lane, settings.posts(entry) else { break }
                entries.append(entry)
            }
            queue.batch = nextBatchID
            queues[key.waID] = queue
        }
        for key in putBack { ready.push(key) }
        guard let first, !entries.isEmpty else { return nil }
        defer { nextBatchID += 1 }
        return WebhookBatch(id: nextBatchID, shard: first.shard, entries: entries, attempt: 1)
    }

    /// Feeds back a callback's outcome. Success removes its entries and retries every waiting callback
    /// now with failure counts reset; failure parks it for `min(n × delay, cap)`.
    public mutating func finished(batchID: UInt64, success: Bool, now: Timestamp, settings: WebhookSettings) {
        // Only a callback in flight has an outcome; anything else is a stale report.
        guard var tracked = batches[batchID], tracked.retryAt == nil else { return }
        inFlightCount -= 1
        counter += 1
        if success {
            batches[batchID] = nil
            lastSuccess = counter
            successEpoch += 1
            for entry in tracked.batch.entries { known.remove(EntryKey(shard: entry.shard, seq: entry.seq)) }
            for waID in tracked.batch.waIDs {
                guard var queue = queues[waID] else { continue }
                let posted = Set(tracked.batch.entries.filter { $0.waID == waID }.map(\.seq))
                queue.entries.removeAll { $0.shard == tracked.batch.shard && posted.contains($0.seq) }
                queue.batch = nil
                queues[waID] = queue.entries.isEmpty ? nil : queue
                pushReady(waID, queue)
            }
        } else {
            var failures = 0
            for waID in tracked.batch.waIDs {
                guard var queue = queues[waID] else { continue }
                queue.failures = (queue.failureEpoch == successEpoch ? queue.failures : 0) + 1
                queue.failureEpoch = successEpoch
                queues[waID] = queue
                failures = max(failures, queue.failures)
            }
            let retryAt = now.advanced(by: settings.backoff(afterFailures: failures))
            tracked.retryAt = retryAt
            tracked.parkedAt = counter
            batches[batchID] = tracked
            waitingCount += 1
            retries.push(RetryKey(at: retryAt, batchID: batchID, parkedAt: counter))
            parkedOrder.append((counter, batchID))
        }
    }

    /// When the earliest waiting callback may be retried (now, after a success); nil when none waits.
    public mutating func nextRetry(now: Timestamp) -> Timestamp? {
        guard waitingCount > 0 else { return nil }
        while let top = retries.minimum {
            if let tracked = batches[top.batchID], tracked.retryAt != nil, tracked.parkedAt == top.parkedAt {
                return parkedOrder[parkedHead...].contains { $0.parkedAt < lastSuccess && batches[$0.batchID]?.parkedAt == $0.parkedAt }
                    ? now : top.at
            }
            _ = retries.popMinimum()
        }
        return nil
    }

    /// The consecutive failures of `waID`'s next callback.
    public func failures(of waID: String) -> Int {
        guard let queue = queues[waID], queue.failureEpoch == successEpoch else { return 0 }
        return queue.failures
    }
}
