/// One callback: entries of one shard and one class (inbound or statuses), posted together. Its
/// composition never changes, so `X-Courier-Delivery` is identical on every retry.
public struct WebhookBatch: Hashable, Sendable {
    public var id: UInt64
    public var shard: UInt16
    public var entries: [OutboxEntry]
    /// `X-Courier-Attempt`: 1 on the first try.
    public var attempt: Int

    public var isInbound: Bool { entries[0].isInbound }
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
public struct WebhookScheduler: Sendable {
    /// One `wa_id`'s pending entries in (shard, seq) order, and what holds it back.
    struct Queue: Sendable {
        var entries: [OutboxEntry] = []
        var failures = 0
        /// The batch (in flight or waiting to retry) holding this `wa_id`'s head.
        var batch: UInt64? = nil
    }

    struct Tracked: Sendable {
        var batch: WebhookBatch
        /// nil while in flight; else when to post it again.
        var retryAt: Timestamp?
    }

    var queues: [String: Queue] = [:]
    var batches: [UInt64: Tracked] = [:]
    var known: Set<EntryKey> = []
    private var nextBatchID: UInt64 = 1

    struct EntryKey: Hashable, Sendable {
        var shard: UInt16
        var seq: UInt64
    }

    public init() {}

    /// Entries pending here, in flight included (`callback_queue_size`).
    public var pendingCount: Int { known.count }
    /// Callbacks posted and not yet answered.
    public var inFlightCount: Int { batches.values.filter { $0.retryAt == nil }.count }
    /// Callbacks waiting for their retry time.
    public var waitingCount: Int { batches.values.filter { $0.retryAt != nil }.count }

    /// Adds an owed callback; entries already known are ignored (replay and live release may overlap).
    public mutating func enqueue(_ entry: OutboxEntry) {
        guard known.insert(EntryKey(shard: entry.shard, seq: entry.seq)).inserted else { return }
        var queue = queues[entry.waID] ?? Queue()
        let index = queue.entries.lastIndex { ($0.shard, $0.seq) < (entry.shard, entry.seq) }.map { $0 + 1 } ?? 0
        // An entry never goes before one already part of a batch: those are the oldest by construction.
        queue.entries.insert(entry, at: max(index, batchedPrefix(queue)))
        queues[entry.waID] = queue
    }

    private func batchedPrefix(_ queue: Queue) -> Int {
        guard let id = queue.batch, let tracked = batches[id] else { return 0 }
        return tracked.batch.entries.filter { $0.waID == queue.entries.first?.waID }.count
    }

    /// Decides what goes out at `now` under `settings`; marks posted batches in flight.
    public mutating func due(now: Timestamp, settings: WebhookSettings) -> WebhookWork {
        var work = WebhookWork()
        work.skip = takeToggledOff(settings)
        guard !settings.url.isEmpty else { return work }
        var capacity = settings.maxConcurrentRequests - inFlightCount
        let retries = batches.values.filter { $0.retryAt.map { $0 <= now } ?? false }
            .sorted { ($0.retryAt!, $0.batch.id) < ($1.retryAt!, $1.batch.id) }
        for var tracked in retries where capacity > 0 {
            tracked.batch.attempt += 1
            tracked.retryAt = nil
            batches[tracked.batch.id] = tracked
            work.post.append(tracked.batch)
            capacity -= 1
        }
        while capacity > 0, let batch = nextNewBatch(settings) {
            batches[batch.id] = Tracked(batch: batch, retryAt: nil)
            for waID in batch.waIDs { queues[waID]?.batch = batch.id }
            work.post.append(batch)
            capacity -= 1
        }
        return work
    }

    /// Pops heads whose toggle is off (only heads: an entry never overtakes an older one of its `wa_id`).
    private mutating func takeToggledOff(_ settings: WebhookSettings) -> [OutboxEntry] {
        var skipped: [OutboxEntry] = []
        for (waID, queue) in queues where queue.batch == nil {
            var queue = queue
            while let head = queue.entries.first, !settings.posts(head) {
                skipped.append(queue.entries.removeFirst())
                known.remove(EntryKey(shard: head.shard, seq: head.seq))
            }
            queues[waID] = queue.entries.isEmpty ? nil : queue
        }
        return skipped.sorted { ($0.shard, $0.seq) < ($1.shard, $1.seq) }
    }

    /// The next batch: the oldest free head decides shard and class; then that `wa_id`'s following
    /// entries of the same class, then other free `wa_id`s of the same shard and class, oldest first.
    private mutating func nextNewBatch(_ settings: WebhookSettings) -> WebhookBatch? {
        let free = queues.filter { $0.value.batch == nil && !$0.value.entries.isEmpty }
            .map { (waID: $0.key, head: $0.value.entries[0]) }
            .sorted { ($0.head.createdAt, $0.head.shard, $0.head.seq) < ($1.head.createdAt, $1.head.shard, $1.head.seq) }
        guard let first = free.first else { return nil }
        var entries: [OutboxEntry] = []
        for candidate in free where entries.count < settings.maxBatchSize {
            guard candidate.head.shard == first.head.shard, candidate.head.isInbound == first.head.isInbound else { continue }
            for entry in queues[candidate.waID]!.entries {
                guard entries.count < settings.maxBatchSize, entry.isInbound == first.head.isInbound, settings.posts(entry)
                else { break }
                entries.append(entry)
            }
        }
        defer { nextBatchID += 1 }
        return WebhookBatch(id: nextBatchID, shard: first.head.shard, entries: entries, attempt: 1)
    }

    /// Feeds back a callback's outcome. Success removes its entries and retries every waiting callback
    /// now with failure counts reset; failure parks it for `min(n × delay, cap)`.
    public mutating func finished(batchID: UInt64, success: Bool, now: Timestamp, settings: WebhookSettings) {
        // Only a callback in flight has an outcome; anything else is a stale report.
        guard var tracked = batches[batchID], tracked.retryAt == nil else { return }
        if success {
            batches[batchID] = nil
            for entry in tracked.batch.entries { known.remove(EntryKey(shard: entry.shard, seq: entry.seq)) }
            for waID in tracked.batch.waIDs {
                guard var queue = queues[waID] else { continue }
                let posted = Set(tracked.batch.entries.filter { $0.waID == waID }.map(\.seq))
                queue.entries.removeAll { $0.shard == tracked.batch.shard && posted.contains($0.seq) }
                queue.batch = nil
                queues[waID] = queue.entries.isEmpty ? nil : queue
            }
            for id in batches.keys where batches[id]!.retryAt != nil { batches[id]!.retryAt = now }
            for waID in queues.keys { queues[waID]!.failures = 0 }
        } else {
            var failures = 0
            for waID in tracked.batch.waIDs {
                queues[waID]?.failures += 1
                failures = max(failures, queues[waID]?.failures ?? 0)
            }
            tracked.retryAt = now.advanced(by: settings.backoff(afterFailures: failures))
            batches[batchID] = tracked
        }
    }

    /// When the earliest waiting callback may be retried; nil when none waits.
    public var nextRetry: Timestamp? { batches.values.compactMap(\.retryAt).min() }

    /// The consecutive failures of `waID`'s next callback.
    public func failures(of waID: String) -> Int { queues[waID]?.failures ?? 0 }
}
