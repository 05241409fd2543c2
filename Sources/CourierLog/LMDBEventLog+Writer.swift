import CourierCore
import Dispatch
import Logging

extension LMDBEventLog {
    /// The writer thread: wait for work, take a batch, commit it, resume its waiters; exit on close
    /// once everything queued before the close is committed.
    func runWriter() {
        while true {
            let (batch, exit) = queue.withLock { queue -> ([PendingAppend], Bool) in
                if queue.items.isEmpty {
                    if queue.closing { return ([], true) }
                    queue.writerSleeping = true
                    return ([], false)
                }
                return (Self.takeBatch(from: &queue.items, configuration: configuration), false)
            }
            if exit { break }
            if batch.isEmpty {
                wake.wait()
                continue
            }
            commit(batch)
        }
        syncAndAcknowledge()
        stopSyncer()
        prefill?.stop()
        let waiters = queue.withLock { queue in
            queue.closed = true
            defer { queue.closeWaiters = [] }
            return queue.closeWaiters
        }
        // Release the environments once the writer is done so the files can be reopened.
        state.withLock { $0.segments = [] }
        writer.active = nil
        for waiter in waiters { waiter.resume() }
    }

    /// Everything queued, up to the batch limits; always at least one append.
    static func takeBatch(from items: inout [PendingAppend], configuration: Configuration) -> [PendingAppend] {
        var events = 0
        var bytes = 0
        var taken = 0
        for item in items {
            let itemBytes = item.entries.reduce(0) { $0 + $1.payload.count }
            if taken > 0,
                events + item.entries.count > configuration.maximumBatchEvents
                    || bytes + itemBytes > configuration.maximumBatchBytes
            {
                break
            }
            events += item.entries.count
            bytes += itemBytes
            taken += 1
        }
        if taken == items.count {
            // The usual case: everything queued, handed over without copying the appends.
            defer { items = [] }
            return items
        }
        let batch = Array(items.prefix(taken))
        items.removeFirst(taken)
        return batch
    }

    /// Writes one batch in one transaction; waiters hear back only after the sync.
    func commit(_ batch: [PendingAppend]) {
        if configuration.minimumFreeBytes > 0, let free = FileSystem.freeBytes(directory),
            free < configuration.minimumFreeBytes
        {
            let error = LogError(
                .diskFull,
                "free space on the data volume (\(free) bytes) is below the floor of \(configuration.minimumFreeBytes) bytes (COURIER_MIN_FREE_BYTES)"
            )
            for item in batch { item.continuation.resume(throwing: error) }
            return
        }
        let now = clock()
        var tails = writer.tails ?? state.withLock { $0.tails }
        var records: [Record] = []
        var positions: [[LogPosition]] = []
        for item in batch {
            var itemPositions: [LogPosition] = []
            itemPositions.reserveCapacity(item.entries.count)
            for entry in item.entries {
                var tail = tails[entry.shard] ?? Tail(seq: 0, epoch: 0, timestamp: .zero)
                precondition(
                    entry.epoch >= tail.epoch, "shard \(entry.shard): epoch \(entry.epoch) is below the stream's \(tail.epoch)")
                tail.seq += 1
                tail.epoch = entry.epoch
                tail.timestamp = max(tail.timestamp, now)
                tails[entry.shard] = tail
                records.append(
                    Record(
                        shard: entry.shard, seq: tail.seq, epoch: entry.epoch, timestamp: tail.timestamp,
                        kindCode: entry.kindCode, payload: entry.payload))
                itemPositions.append(LogPosition(shard: entry.shard, seq: tail.seq, timestamp: tail.timestamp))
            }
            positions.append(itemPositions)
        }
        // Key order lets LMDB append instead of search; one stream's records are already in order.
        var order = Array(records.indices)
        if records.contains(where: { $0.shard != records[0].shard }) {
            order.sort { (records[$0].shard, records[$0].seq) < (records[$1].shard, records[$1].seq) }
        }
        var checksums = [UInt32](repeating: 0, count: records.count)
        var lastKey = writer.lastKey
        let commitStart = ContinuousClock.now
        let environment: LMDBEnvironment
        do {
            guard let active = writer.active else { throw LogError(.closed, "the event log is closed") }
            environment = active
            try prefill.withFileLock { try environment.write { txn in
                lastKey = writer.lastKey
                for index in order {
                    let record = records[index]
                    let isAppend = (record.shard, record.seq) > lastKey
                    try txn.put(shard: record.shard, seq: record.seq, count: record.encodedCount, append: isAppend) {
                        checksums[index] = record.encode(into: $0)
                    }
                    if isAppend { lastKey = (record.shard, record.seq) }
                }
            } }
        } catch {
            metrics.failedCommits.increment()
            logger.error("event log commit failed", metadata: ["error": "\(error)", "log.batch": "\(records.count)"])
            for item in batch { item.continuation.resume(throwing: error) }
            syncAndAcknowledge()
            return
        }
        writer.lastKey = lastKey
        writer.tails = tails
        writer.commitNumber += 1
        commits.add(1, ordering: .relaxed)
        metrics.commitDuration.record(duration: ContinuousClock.now - commitStart)
        metrics.batchEvents.record(records.count)
        metrics.recordAppends(records)
        let committed = UnsyncedCommit(
            number: writer.commitNumber, appends: Array(zip(batch, positions)), records: records,
            checksums: checksums, tails: tails, segmentID: writer.activeID, environment: environment)
        // This commit's data sync also flushed the earlier commits' meta pages (same file, written
        // before): they are durable now, this one once a sync that begins from here on returns.
        let wakeSyncer = durability.withLock { durability -> Bool in
            let earlier = durability.unsynced
            durability.unsynced = [committed]
            acknowledge(earlier)
            defer { durability.syncerSleeping = false }
            return durability.syncerSleeping
        }
        if wakeSyncer { syncerWake.signal() }
        let usedBytes = environment.info().usedBytes
        if usedBytes >= configuration.segmentSizeBytes {
            sealActiveSegment()
        } else if let prefill, usedBytes + configuration.prefillBytes / 2 > writer.prefillRequested {
            writer.prefillRequested = min(usedBytes + configuration.prefillBytes, configuration.segmentSizeBytes)
            prefill.request(
                SegmentPrefill.Target(
                    segmentID: writer.activeID, path: SegmentFiles.dataPath(directory: directory, id: writer.activeID),
                    bytes: writer.prefillRequested))
        }
    }

    /// The sync thread: whenever commits await their meta page's sync, sync their file and acknowledge
    /// every commit that returned before the sync began; exits when the writer stops it.
    func runSyncer() {
        while true {
            let target = durability.withLock { durability -> UnsyncedCommit?? in
                if let newest = durability.unsynced.last { return .some(newest) }
                if durability.stopping { return .none }
                durability.syncerSleeping = true
                return .some(nil)
            }
            switch target {
            case .none:
                syncerDone.signal()
                return
            case .some(nil):
                syncerWake.wait()
            case .some(let newest?):
                sync(through: newest)
            }
        }
    }

    /// Stops the sync thread once it has nothing left to sync and waits for it (writer thread, at close).
    func stopSyncer() {
        let wake = durability.withLock { durability -> Bool in
            durability.stopping = true
            defer { durability.syncerSleeping = false }
            return durability.syncerSleeping
        }
        if wake { syncerWake.signal() }
        syncerDone.wait()
    }

    /// Makes every commit so far durable with an explicit sync and acknowledges them (writer thread:
    /// before sealing a segment, after a failed commit, at close).
    func syncAndAcknowledge() {
        guard let newest = durability.withLock({ $0.unsynced.last }) else { return }
        sync(through: newest)
    }

    /// Syncs `newest`'s file, then acknowledges every commit up to and including it that is still
    /// waiting (failing them if the sync fails: their durability is unknown).
    private func sync(through newest: UnsyncedCommit) {
        let start = ContinuousClock.now
        let failure: (any Error)?
        do {
            try newest.environment.sync()
            metrics.commitDuration.record(duration: ContinuousClock.now - start)
            failure = nil
        } catch {
            metrics.failedCommits.increment()
            logger.error("event log sync failed", metadata: ["error": "\(error)", "log.records": "\(newest.records.count)"])
            failure = error
        }
        durability.withLock { durability in
            let count = durability.unsynced.prefix { $0.number <= newest.number }.count
            let synced = Array(durability.unsynced.prefix(count))
            durability.unsynced.removeFirst(count)
            acknowledge(synced, failure: failure)
        }
    }

    /// Publishes durable commits to readers and resumes their appenders, oldest first. Called with the
    /// durability lock held, so that the writer and the sync thread publish and resume in commit order.
    /// After a failed sync the records still go to readers (they are committed in the file and later
    /// ones are numbered after them), but their appenders hear the error, never a false success.
    private func acknowledge(_ durable: [UnsyncedCommit], failure: (any Error)? = nil) {
        guard !durable.isEmpty else { return }
        for commit in durable {
            publish(commit)
            for item in commit.appends {
                if let failure {
                    item.append.continuation.resume(throwing: failure)
                } else {
                    item.append.continuation.resume(returning: item.positions)
                }
            }
        }
        for observer in commitObservers.withLock({ $0 }) { observer() }
    }

    /// Makes a commit visible to readers (`lastSeq`, `streams`, replication) and to segment manifests.
    private func publish(_ durable: UnsyncedCommit) {
        state.withLock { state in
            state.tails = durable.tails
            guard let index = state.segments.lastIndex(where: { $0.id == durable.segmentID }) else {
                preconditionFailure("segment \(durable.segmentID) vanished with an unsynced commit")
            }
            for (offset, record) in durable.records.enumerated() {
                state.segments[index].add(record, bytes: record.encodedCount, crc: durable.checksums[offset])
            }
        }
    }

    /// Seals the active segment: create the next one, write the manifest, switch. A crash between the
    /// steps leaves a manifest-less older segment, which `openSegments` seals on the next start.
    func sealActiveSegment() {
        // The next commit goes to another file, so its sync would not cover this one's meta page.
        syncAndAcknowledge()
        let id = writer.activeID
        // Written ahead at most up to the segment size, which a sealed segment has reached: the file
        // holds no zeros past LMDB's last page, and nothing more is written to it.
        prefill?.retire(segmentID: id)
        writer.prefillRequested = 0
        do {
            let next = try Self.createSegment(directory: directory, id: id + 1, configuration: configuration)
            let manifest = state.withLock { $0.segments[$0.segments.count - 1].manifest }
            try FileSystem.writeAtomically(
                manifest.json().serialized(), to: SegmentFiles.manifestPath(directory: directory, id: id))
            state.withLock { state in
                state.segments[state.segments.count - 1].sealed = true
                state.segments.append(next)
            }
            writer.active = next.environment
            writer.activeID = next.id
            writer.lastKey = (0, 0)
            logger.info(
                "event log segment sealed",
                metadata: ["log.segment": "\(SegmentFiles.name(id))", "log.records": "\(manifest.recordCount)"])
        } catch {
            // Keep appending to the current segment; the next commit tries again.
            logger.error("cannot seal event log segment", metadata: ["log.segment": "\(id)", "error": "\(error)"])
        }
    }
}

extension Optional where Wrapped == SegmentPrefill {
    /// Runs `body` holding the prefill's file lock, if there is a prefill.
    func withFileLock<T>(_ body: () throws -> T) throws -> T {
        guard let prefill = self else { return try body() }
        return try prefill.fileLock.withLock { _ in try body() }
    }
}
