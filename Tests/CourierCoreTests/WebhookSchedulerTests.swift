@testable import CourierCore
import CourierTesting
import Testing

/// The delivery rules of webhooks.md §5, driven by a manual clock: feed entries and outcomes, check what
/// comes due.
@Suite struct WebhookSchedulerTests {
    let clock = ManualClock(Timestamp(microseconds: 1_000_000_000))

    func settings(batch: Int = 1, concurrent: Int = 6, url: String = "http://127.0.0.1:1/hook") -> WebhookSettings {
        var settings = WebhookSettings()
        settings.url = url
        settings.maxBatchSize = batch
        settings.maxConcurrentRequests = concurrent
        settings.backoffDelayMilliseconds = 3000
        settings.maximumBackoffDelayMilliseconds = 10_000
        return settings
    }

    func status(_ seq: UInt64, _ waID: String, _ status: MessageStatus = .sent, shard: UInt16 = 0) -> OutboxEntry {
        let event = StatusEvent(
            messageID: "gBG\(seq)", waID: waID, status: status, networkTimestamp: Timestamp(microseconds: Int64(seq)),
            conversation: Array(#"{"id":"c1","origin":{"type":"business_initiated"}}"#.utf8),
            pricing: Array(#"{"billable":true,"pricing_model":"CBP","category":"business_initiated"}"#.utf8))
        return OutboxEntry(shard: shard, seq: seq, waID: waID, item: .status(event), createdAt: Timestamp(microseconds: Int64(seq)))
    }

    func inbound(_ seq: UInt64, _ waID: String, shard: UInt16 = 0) -> OutboxEntry {
        let receipt = ReceiptEvent(
            messageID: "ABG\(seq)", from: waID, type: "text", content: Array(#"{"body":"hi"}"#.utf8),
            networkTimestamp: Timestamp(microseconds: Int64(seq)), profileName: "Ana")
        return OutboxEntry(shard: shard, seq: seq, waID: waID, item: .inbound(receipt), createdAt: Timestamp(microseconds: Int64(seq)))
    }

    func seqs(_ work: WebhookWork) -> [[UInt64]] { work.post.map { $0.entries.map(\.seq) } }

    @Test func nextEntryOfAWaIDWaitsForThePreviousOne() {
        var scheduler = WebhookScheduler()
        for entry in [status(1, "A"), status(2, "A"), status(3, "B")] { scheduler.enqueue(entry) }
        let first = scheduler.due(now: clock.now, settings: settings())
        #expect(seqs(first) == [[1], [3]])
        #expect(scheduler.due(now: clock.now, settings: settings()).isEmpty)
        scheduler.finished(batchID: first.post[1].id, success: true, now: clock.now, settings: settings())
        #expect(scheduler.due(now: clock.now, settings: settings()).isEmpty, "A's seq 2 still waits for seq 1")
        scheduler.finished(batchID: first.post[0].id, success: true, now: clock.now, settings: settings())
        #expect(seqs(scheduler.due(now: clock.now, settings: settings())) == [[2]])
        #expect(scheduler.pendingCount == 1)
    }

    @Test func entriesArrivingOutOfOrderArePostedInLogOrder() {
        var scheduler = WebhookScheduler()
        scheduler.enqueue(status(5, "A"))
        scheduler.enqueue(status(4, "A"))
        scheduler.enqueue(status(4, "A"))  // a repeat is ignored
        #expect(scheduler.pendingCount == 2)
        #expect(seqs(scheduler.due(now: clock.now, settings: settings())) == [[4]])
    }

    @Test func concurrencyIsCappedPerNode() {
        var scheduler = WebhookScheduler()
        for seq in 1...5 { scheduler.enqueue(status(UInt64(seq), "wa\(seq)")) }
        let first = scheduler.due(now: clock.now, settings: settings(concurrent: 2))
        #expect(seqs(first) == [[1], [2]])
        #expect(scheduler.inFlightCount == 2)
        #expect(scheduler.due(now: clock.now, settings: settings(concurrent: 2)).isEmpty)
        scheduler.finished(batchID: first.post[0].id, success: true, now: clock.now, settings: settings(concurrent: 2))
        #expect(seqs(scheduler.due(now: clock.now, settings: settings(concurrent: 2))) == [[3]])
    }

    @Test func batchesKeepOneClassOneShardAndPerWaIDOrder() {
        var scheduler = WebhookScheduler()
        let entries = [
            status(1, "A"), status(2, "A", .delivered), inbound(3, "A"), status(4, "B"), inbound(5, "C"),
            status(6, "D", shard: 1), status(7, "E"),
        ]
        for entry in entries { scheduler.enqueue(entry) }
        let work = scheduler.due(now: clock.now, settings: settings(batch: 3, concurrent: 10))
        // A's statuses stop at its inbound entry; B joins; E does not fit; D is another shard; C is inbound.
        #expect(seqs(work) == [[1, 2, 4], [5], [6], [7]])
        #expect(work.post.map(\.isInbound) == [false, true, false, false])
        #expect(work.post.map(\.delivery) == ["0:1-4", "0:5-5", "1:6-6", "0:7-7"])
        for batch in work.post { scheduler.finished(batchID: batch.id, success: true, now: clock.now, settings: settings(batch: 3)) }
        let next = scheduler.due(now: clock.now, settings: settings(batch: 3))
        #expect(seqs(next) == [[3]])
        #expect(next.post[0].isInbound)
    }

    @Test func failuresBackOffLinearlyUpToTheCap() {
        var scheduler = WebhookScheduler()
        scheduler.enqueue(status(1, "A"))
        let settings = settings()
        var batch = scheduler.due(now: clock.now, settings: settings).post[0]
        #expect(batch.attempt == 1)
        var waits: [Int64] = []
        for _ in 1...5 {
            scheduler.finished(batchID: batch.id, success: false, now: clock.now, settings: settings)
            let retry = scheduler.nextRetry(now: clock.now)!
            waits.append((retry.microseconds - clock.now.microseconds) / 1000)
            clock.advance(microseconds: retry.microseconds - clock.now.microseconds - 1)
            #expect(scheduler.due(now: clock.now, settings: settings).isEmpty, "not before its time")
            clock.advance(microseconds: 1)
            let work = scheduler.due(now: clock.now, settings: settings)
            #expect(work.post.count == 1)
            #expect(work.post[0].delivery == batch.delivery, "a retry names the same positions")
            #expect(work.post[0].attempt == batch.attempt + 1)
            batch = work.post[0]
        }
        #expect(waits == [3000, 6000, 9000, 10_000, 10_000])
        #expect(scheduler.failures(of: "A") == 5)
    }

    @Test func anySuccessRetriesEveryWaitingCallbackWithCountsReset() {
        var scheduler = WebhookScheduler()
        scheduler.enqueue(status(1, "A"))
        scheduler.enqueue(status(2, "B"))
        let settings = settings()
        let first = scheduler.due(now: clock.now, settings: settings)
        scheduler.finished(batchID: first.post[0].id, success: false, now: clock.now, settings: settings)
        scheduler.finished(batchID: first.post[0].id, success: false, now: clock.now, settings: settings)  // a stale repeat
        #expect(scheduler.failures(of: "A") == 1)
        #expect(scheduler.waitingCount == 1)
        scheduler.finished(batchID: first.post[1].id, success: true, now: clock.now, settings: settings)
        #expect(scheduler.failures(of: "A") == 0)
        let retry = scheduler.due(now: clock.now, settings: settings)
        #expect(seqs(retry) == [[1]], "retried at once, not after 3 s")
        #expect(retry.post[0].attempt == 2)
    }

    @Test func anEmptyURLPostsNothingUntilOneIsSet() {
        var scheduler = WebhookScheduler()
        scheduler.enqueue(status(1, "A"))
        #expect(scheduler.due(now: clock.now, settings: settings(url: "")).isEmpty)
        clock.advance(microseconds: 60_000_000)
        #expect(scheduler.due(now: clock.now, settings: settings(url: "")).isEmpty)
        #expect(scheduler.failures(of: "A") == 0)
        #expect(seqs(scheduler.due(now: clock.now, settings: settings())) == [[1]])
    }

    @Test func toggledOffHeadsAreSkippedWithoutARequestAndKeepOrder() {
        var scheduler = WebhookScheduler()
        for entry in [status(1, "A", .sent), status(2, "A", .delivered), status(3, "A", .read), status(4, "A", .failed)] {
            scheduler.enqueue(entry)
        }
        var settings = settings(batch: 10)
        settings.postSent = false
        settings.postRead = false
        let work = scheduler.due(now: clock.now, settings: settings)
        #expect(work.skip.map(\.seq) == [1])
        #expect(seqs(work) == [[2]], "a batch stops before a toggled-off entry")
        scheduler.finished(batchID: work.post[0].id, success: true, now: clock.now, settings: settings)
        let next = scheduler.due(now: clock.now, settings: settings)
        #expect(next.skip.map(\.seq) == [3])
        #expect(seqs(next) == [[4]], "failed is always posted")
        #expect(scheduler.pendingCount == 1)
    }

    @Test func settingsAreParsedFromTheEffectiveApplicationSettings() throws {
        let overrides: JSONObject = [
            "webhooks": ["url": "http://127.0.0.1:9/x", "max_batch_size": 5, "message": ["read": false]],
            "callback_persist": false, "callback_backoff_delay_ms": 100,
        ]
        let settings = WebhookSettings(application: ApplicationSettings.effective(overrides))
        #expect(settings.url == "http://127.0.0.1:9/x")
        #expect(settings.maxBatchSize == 5)
        #expect(settings.maxConcurrentRequests == 6)
        #expect(!settings.postRead && settings.postSent && settings.postDelivered)
        #expect(!settings.persist)
        #expect(settings.backoff(afterFailures: 3) == .milliseconds(300))
    }

    @Test func payloadsHaveTheFlatShapes() throws {
        var scheduler = WebhookScheduler()
        scheduler.enqueue(inbound(1, "16315551000"))
        scheduler.enqueue(status(2, "447700900123", .delivered))
        var settings = settings()
        let work = scheduler.due(now: clock.now, settings: settings)
        let inboundBody = WebhookPayload.body(work.post[0], settings: settings)
        #expect(inboundBody["contacts"] == [["profile": ["name": "Ana"], "wa_id": "16315551000"]])
        #expect(inboundBody["messages"]?.arrayValue?.first?["text"] == ["body": "hi"])
        #expect(inboundBody["messages"]?.arrayValue?.first?["from"] == "16315551000")
        let statusBody = WebhookPayload.body(work.post[1], settings: settings)
        let entry = try #require(statusBody["statuses"]?.arrayValue?.first)
        #expect(entry["status"] == "delivered")
        #expect(entry["recipient_id"] == "447700900123")
        #expect(entry["pricing"]?["pricing_model"] == "CBP")
        #expect(entry["conversation"]?["id"] == "c1")
        settings.conversationPricingDisabled = true
        let bare = WebhookPayload.body(work.post[1], settings: settings)["statuses"]?.arrayValue?.first
        #expect(bare?["conversation"] == nil && bare?["pricing"] == nil)
    }

    /// A seeded workload: entries of 40 wa_ids over 2 shards arrive interleaved across shards while callbacks fail at
    /// random and time moves. Every entry is delivered exactly once, per wa_id in seq order; no wa_id is
    /// in two outstanding callbacks; batches are homogeneous; the concurrency cap holds.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomWorkloadKeepsEveryRule(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var scheduler = WebhookScheduler()
        var settings = settings(batch: Int(random.next() % 4) + 1, concurrent: Int(random.next() % 5) + 1)
        settings.maximumBackoffDelayMilliseconds = 9000
        var entries: [OutboxEntry] = []
        for seq in 1...600 {
            let waID = "wa\(random.next() % 40)"
            let shard = UInt16(ShardHash.fnv1a64(waID) % 2)
            entries.append(random.next() % 3 == 0 ? inbound(UInt64(seq), waID, shard: shard) : status(UInt64(seq), waID, shard: shard))
        }
        var arrival = entries
        // Shards release in seq order each, but the dispatcher sees the shards' streams interleaved.
        for index in arrival.indices.reversed()
        where index > 0 && arrival[index].shard != arrival[index - 1].shard && random.next() % 2 == 0 {
            arrival.swapAt(index, index - 1)
        }
        var delivered: [String: [UInt64]] = [:]
        var outstanding: [UInt64: WebhookBatch] = [:]
        var rounds = 0
        while delivered.values.map(\.count).reduce(0, +) < entries.count && rounds < 100_000 {
            rounds += 1
            if !arrival.isEmpty {
                for _ in 0..<Int(random.next() % 8) where !arrival.isEmpty { scheduler.enqueue(arrival.removeFirst()) }
            }
            for batch in scheduler.due(now: clock.now, settings: settings).post {
                #expect(Set(batch.entries.map(\.shard)).count == 1 && Set(batch.entries.map(\.isInbound)).count == 1)
                #expect(batch.entries.count <= settings.maxBatchSize)
                for other in outstanding.values { #expect(other.waIDs.isDisjoint(with: batch.waIDs), "seed \(seed)") }
                outstanding[batch.id] = batch
            }
            #expect(outstanding.count <= settings.maxConcurrentRequests)
            if let id = outstanding.keys.sorted().randomElement(using: &random) {
                let success = random.next() % 3 != 0
                scheduler.finished(batchID: id, success: success, now: clock.now, settings: settings)
                if success {
                    for entry in outstanding[id]!.entries { delivered[entry.waID, default: []].append(entry.seq) }
                }
                outstanding[id] = nil
            }
            clock.advance(microseconds: Int64(random.next() % 2_000_000))
        }
        #expect(arrival.isEmpty && scheduler.pendingCount == 0, "seed \(seed): \(scheduler.pendingCount) left after \(rounds) rounds")
        for (waID, seqs) in delivered {
            let expected = entries.filter { $0.waID == waID }.map(\.seq)
            #expect(seqs == expected, "seed \(seed), \(waID)")
        }
    }
}
