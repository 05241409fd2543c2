import AsyncHTTPClient
import CourierApp
import CourierCore
import CourierLog
import CourierShards
import CourierStore
import CourierTesting
import Foundation
import Logging
import NIOCore
import Synchronization
import Testing

/// `POST /v1/account/shards` on a single node (api.md §4.4, cluster.md §8): the count changes online, every
/// recipient is served by `fnv1a64(wa_id) mod m` afterwards, nothing acknowledged is lost, callbacks pending
/// at the cutover are still delivered in order, and a restart comes up with the new count and the same state.
@Suite(.serialized) struct ReshardEndToEndTests {
    func waitUntil(_ what: String, _ condition: () async -> Bool) async throws {
        for _ in 0..<1500 where !(await condition()) { try await Task.sleep(for: .milliseconds(10)) }
        if !(await condition()) { Issue.record("timed out waiting for \(what)") }
    }

    func register(_ node: RunningNode, token: String) async throws {
        let number = #"{"cc":"1","phone_number":"6315551000","method":"sms","cert":"any-cert"}"#
        #expect(try await node.call(.POST, "/v1/account", number, token: token).status == 202)
        let codes = try await node.call(.GET, "/gateway/codes")
        let code = try #require(codes.json.arrayValue?.first?["code"]?.stringValue, "\(codes.json)")
        #expect(try await node.call(.POST, "/v1/account/verify", #"{"code":"\#(code)"}"#, token: token).status == 201)
    }

    func setShards(_ node: RunningNode, _ count: Int, token: String) async throws -> (status: Int, json: JSONValue) {
        try await node.call(.POST, "/v1/account/shards", #"{"cc":"1","phone_number":"6315551000","shards":\#(count)}"#, token: token)
    }

    func shardCount(_ node: RunningNode, token: String) async throws -> Int64? {
        if case .integer(let count)? = try await node.call(.GET, "/v1/account/shards", token: token).json["account"]?["shards"] {
            return count
        }
        return nil
    }

    func send(_ node: RunningNode, to: String, token: String) async throws -> String? {
        let sent = try await node.call(.POST, "/v1/messages", #"{"to":"\#(to)","text":{"body":"hi \#(to)"}}"#, token: token)
        #expect(sent.status == 201, "\(sent.json)")
        return sent.json["messages"]?.arrayValue?.first?["id"]?.stringValue
    }

    /// Every message id held, each checked to be on the shard its recipient hashes to.
    func heldMessages(_ node: RunningNode) async -> [String: String] {
        let shards = node.node.shards
        let count = shards.shardCount
        var held: [String: String] = [:]
        for actor in shards.actors {
            let state = await actor.snapshot
            for (id, message) in state.messages {
                #expect(ShardHash.shard(of: message.to, shardCount: count) == actor.shard, "\(id) to \(message.to) on shard \(actor.shard)")
                held[id] = message.to
            }
            for (id, inbound) in state.webhooks.inbound {
                #expect(ShardHash.shard(of: inbound.from, shardCount: count) == actor.shard, "inbound \(id) on shard \(actor.shard)")
            }
        }
        return held
    }

    func dbMessages(_ node: RunningNode, token: String) async throws -> Int64? {
        let stats = try await node.call(.GET, "/v1/stats/db", token: token)
        for sample in stats.json["stats"]?["db"]?["db_messages"]?["data"]?.arrayValue ?? [] {
            if sample["labels"]?.objectValue?.members.isEmpty ?? true, case .integer(let value)? = sample["value"] { return value }
        }
        return nil
    }

    @Test func splitMergeAndRestartKeepEveryMessageAndCallback() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-reshard")
        defer { directory.remove() }
        var node = try await RunningNode.start(directory)
        let webhookTests = WebhookEndToEndTests()
        var token = try await webhookTests.login(node)
        let hook = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        let patch = try await node.call(
            .PATCH, "/v1/settings/application",
            #"{"webhooks":{"url":"\#(hook)"},"callback_backoff_delay_ms":100,"max_callback_backoff_delay_ms":300}"#, token: token)
        #expect(patch.status == 200)
        try await register(node, token: token)
        #expect(try await shardCount(node, token: token) == 1)

        // 1 shard: sends to many recipients while the receiver fails, so their callbacks stay pending; inbound too.
        receiver.failing.withLock { $0 = true }
        let recipients = (0..<24).map { "1631555\(2000 + $0)" }
        var sent: [String: String] = [:]
        for to in recipients { sent[try #require(try await send(node, to: to, token: token))] = to }
        var inbound: [String] = []
        for n in 0..<6 {
            let injected = try await node.call(.POST, "/gateway/inbound", #"{"from":"1631555\#(3000 + n)","type":"text","text":{"body":"q"}}"#)
            #expect(injected.status == 200, "\(injected.json)")
            inbound.append(try #require(injected.json["id"]?.stringValue))
        }
        try await waitUntil("statuses logged") {
            await node.node.shards.actors[0].snapshot.messages.values.allSatisfy { $0.status == .read }
        }
        let pendingBefore = await node.node.shards.actors[0].pendingOutbox().count
        #expect(pendingBefore >= 24 * 3)

        // 1 → 4: 201, the count is 4, every message is on its hash's shard, nothing lost.
        let split = try await setShards(node, 4, token: token)
        #expect(split.status == 201, "\(split.json)")
        #expect(try await shardCount(node, token: token) == 4)
        #expect(node.node.shards.actors.count == 4)
        #expect(await heldMessages(node) == sent)
        #expect(try await dbMessages(node, token: token) == 24)
        var pendingAfter = 0
        for actor in node.node.shards.actors { pendingAfter += await actor.pendingOutbox().count }
        #expect(pendingAfter == pendingBefore)
        // Old inbound messages are marked read through their new owners; a repeat is a no-op.
        for id in inbound {
            #expect(try await node.call(.PUT, "/v1/messages/\(id)", #"{"status":"read"}"#, token: token).status == 200)
        }
        // Asking for the current value: 201, no change.
        #expect(try await setShards(node, 4, token: token).status == 201)

        // Pending callbacks are delivered after the cutover, each message's statuses in order.
        receiver.failing.withLock { $0 = false }
        try await waitUntil("every status callback") {
            sent.keys.allSatisfy { Set(receiver.statuses()[$0] ?? []).isSuperset(of: ["sent", "delivered", "read"]) }
        }
        for id in sent.keys {
            let statuses = receiver.statuses()[id] ?? []
            // Duplicates are allowed (at-least-once); the order is not: each value's first post comes in order.
            var firsts: [String] = []
            for status in statuses where !firsts.contains(status) { firsts.append(status) }
            #expect(firsts == ["sent", "delivered", "read"], "\(id): \(statuses)")
        }
        try await waitUntil("every inbound callback") { receiver.inboundMessages().count >= 6 }

        // New sends route by the new modulus.
        for to in (0..<16).map({ "1631555\(4000 + $0)" }) { sent[try #require(try await send(node, to: to, token: token))] = to }
        #expect(await heldMessages(node) == sent)

        // 4 → 2 with sends running concurrently: every send gets 201 and none is lost.
        let concurrent = try await withThrowingTaskGroup(of: (String, String)?.self) { group in
            for n in 0..<120 {
                let to = "1631555\(5000 + n)"
                group.addTask { [node, token] in
                    try await Task.sleep(for: .milliseconds(n % 40))
                    let sent = try await node.call(.POST, "/v1/messages", #"{"to":"\#(to)","text":{"body":"c"}}"#, token: token)
                    #expect(sent.status == 201, "\(sent.json)")
                    return sent.json["messages"]?.arrayValue?.first?["id"]?.stringValue.map { ($0, to) }
                }
            }
            try await Task.sleep(for: .milliseconds(10))
            let merge = try await setShards(node, 2, token: token)
            #expect(merge.status == 201, "\(merge.json)")
            var ids: [(String, String)] = []
            for try await result in group { if let result { ids.append(result) } }
            return ids
        }
        #expect(concurrent.count == 120)
        for (id, to) in concurrent { sent[id] = to }
        #expect(try await shardCount(node, token: token) == 2)
        #expect(await heldMessages(node) == sent)
        #expect(try await dbMessages(node, token: token) == Int64(sent.count))

        // Restart: 2 shards, the same messages, and the log verifies.
        try await node.stop()
        node = try await RunningNode.start(directory)
        token = try await webhookTests.relogin(node)
        #expect(try await shardCount(node, token: token) == 2)
        #expect(await heldMessages(node) == sent)
        #expect(try await node.call(.PUT, "/v1/messages/\(inbound[0])", #"{"status":"read"}"#, token: token).status == 200)
        try await node.stop()
        let report = try LogInspector(dataDirectoryPath: directory.path, output: { _ in }).verify(LogInspector.VerifyOptions())
        #expect(report.healthy, "\(report.problems)")
    }

    @Test func commandsAreHeldDuringTheCutoverAndASecondChangeIsRefused() async throws {
        let directory = try TemporaryDirectory("courier-reshard-busy")
        defer { directory.remove() }
        let node = try await RunningNode.start(directory)
        let token = try await WebhookEndToEndTests().login(node)
        try await register(node, token: token)
        // A command in flight under the old map: the cutover waits for it.
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let inFlight = Task { [node] in
            await node.node.shards.withShard(for: "16315551234") { _ in
                for await _ in release { break }
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        async let first = setShards(node, 2, token: token)
        try await Task.sleep(for: .milliseconds(100))
        // The gate is closed: a second change is refused, a send is held (not failed).
        let second = try await setShards(node, 4, token: token)
        #expect(second.status == 403 && second.json["errors"]?.arrayValue?.first?["code"] == 1011, "\(second.json)")
        async let held = node.call(.POST, "/v1/messages", #"{"to":"16315551001","text":{"body":"held"}}"#, token: token)
        try await Task.sleep(for: .milliseconds(100))
        releaser.yield()
        await inFlight.value
        let firstResult = try await first
        #expect(firstResult.status == 201, "\(firstResult.json)")
        let heldResult = try await held
        #expect(heldResult.status == 201, "\(heldResult.json)")
        #expect(try await shardCount(node, token: token) == 2)
        let id = try #require(heldResult.json["messages"]?.arrayValue?.first?["id"]?.stringValue)
        // 16315551001 hashes to shard 1 of 2 (cluster.md §2).
        #expect(await node.node.shards.actors[1].snapshot.messages[id] != nil)
        // While message GC passes run (a long holder), a change is refused at once, not waited for.
        let (gcRelease, gcReleaser) = AsyncStream.makeStream(of: Void.self)
        let gc = Task { [node] in
            await node.node.shards.withMap(maintenance: true) { _, _ in
                for await _ in gcRelease { break }
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        let duringGC = try await setShards(node, 4, token: token)
        #expect(duringGC.status == 403 && duringGC.json["errors"]?.arrayValue?.first?["code"] == 1011, "\(duringGC.json)")
        gcReleaser.yield()
        await gc.value
        #expect(try await shardCount(node, token: token) == 2)
        try await node.stop()
    }
}

/// A crash between `reshard-begin` and `reshard-commit`: the next start completes the change (roll-forward),
/// whether the sources had logged their out-records or not, and nothing is lost.
@Suite(.serialized) struct ReshardCrashTests {
    @Test(arguments: [false, true])
    func aRestartCompletesAnOpenReshard(outRecordLogged: Bool) async throws {
        let directory = try TemporaryDirectory("courier-reshard-crash")
        defer { directory.remove() }
        let e2e = ReshardEndToEndTests()
        var node = try await RunningNode.start(directory)
        var token = try await WebhookEndToEndTests().login(node)
        try await e2e.register(node, token: token)
        var sent: [String: String] = [:]
        for n in 0..<40 { sent[try #require(try await e2e.send(node, to: "1631555\(6000 + n)", token: token))] = "1631555\(6000 + n)" }
        try await node.stop()

        // What a crash in the middle of 1 → 2 leaves: the begin, the target's in-records, maybe the source's out-record.
        let log = try LMDBEventLog(directory: directory.path + "/log", configuration: .init(), clock: SystemSources.clock, logger: Logger(label: "test.log"))
        var source = ShardState(shard: 0)
        try log.forEachRecord(shard: 0) { _ = try source.apply($0) }
        let begin = OpenReshard.beginEvent(from: 1, to: 2, sourceSeqs: [source.appliedSeq], nodeKey: "test:1", epoch: 1)
        let reshardID = try await log.append(LogEntry(shard: Record.controlShard, epoch: 1, kind: .shardChange, payload: begin.encoded())).seq
        let plan = ReshardPlan(from: 1, to: 2)
        let events = ShardState.inEvents(
            source.transfers(to: 1, plan: plan), from: 0, sourceSeq: source.appliedSeq, to: 1, plan: plan, reshardID: reshardID,
            ownerNodeKey: "test:1", epoch: 1)
        _ = try await log.append(events.map { LogEntry(shard: 1, epoch: 1, kind: .shardChange, payload: $0.encoded()) })
        if outRecordLogged {
            var out = ShardChangeEvent(action: .splitOut, shardCount: 2, shard: 0, ownerNodeKey: "test:1", epoch: 1)
            out.reshardID = reshardID
            out.fromShardCount = 1
            _ = try await log.append(LogEntry(shard: 0, epoch: 1, kind: .shardChange, payload: out.encoded()))
        }
        await log.close()

        node = try await RunningNode.start(directory)
        token = try await WebhookEndToEndTests().relogin(node)
        #expect(try await e2e.shardCount(node, token: token) == 2)
        #expect(await e2e.heldMessages(node) == sent)
        sent[try #require(try await e2e.send(node, to: "16315551001", token: token))] = "16315551001"
        #expect(await e2e.heldMessages(node) == sent)
        try await node.stop()
        // And again: the commit is in the log now.
        node = try await RunningNode.start(directory)
        token = try await WebhookEndToEndTests().relogin(node)
        #expect(try await e2e.shardCount(node, token: token) == 2)
        #expect(await e2e.heldMessages(node) == sent)
        try await node.stop()
        let report = try LogInspector(dataDirectoryPath: directory.path, output: { _ in }).verify(LogInspector.VerifyOptions())
        #expect(report.healthy, "\(report.problems)")
        // `courier log dump --json` shows the transfer: counts and moved callbacks, no message content.
        let dumped = Mutex<[String]>([])
        var options = LogInspector.DumpOptions()
        options.filter.shard = 1
        options.filter.kinds = [EventKind.shardChange.rawValue]
        options.json = true
        try LogInspector(dataDirectoryPath: directory.path, output: { line in dumped.withLock { $0.append(line) } }).dump(options)
        let first = try JSONParser.parse(Array(try #require(dumped.withLock { $0.first }).utf8))
        #expect(first["kind"] == "shard-change")
        #expect(first["payload"]?["action"] == "split-in")
        #expect(first["payload"]?["reshard_id"] == .integer(Int64(reshardID)))
        #expect(first["payload"]?["parent_shard"] == 0)
        #expect(first["payload"]?["transfer"]?["first"] == true)
        let moved = sent.values.filter { ShardHash.shard(of: $0, shardCount: 2) == 1 && $0 != "16315551001" }.count
        #expect(first["payload"]?["transfer"]?["messages"] == .integer(Int64(moved)))
    }
}

/// With PostgreSQL and `replication_ack=replicated`: the new shards' streams replicate (the replicator follows
/// the log's streams), and the change's records reach PostgreSQL before the 201.
@Suite(.serialized) struct ReshardReplicatedTests {
    @Test func newShardStreamsReplicate() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let directory = try TemporaryDirectory("courier-reshard-pg")
        defer { directory.remove() }
        let e2e = ReshardEndToEndTests()
        let node = try await RunningNode.start(directory, database: database.configuration)
        let token = try await WebhookEndToEndTests().login(node)
        try await e2e.register(node, token: token)
        var sent: [String: String] = [:]
        for n in 0..<24 { sent[try #require(try await e2e.send(node, to: "1631555\(7000 + n)", token: token))] = "1631555\(7000 + n)" }
        let split = try await e2e.setShards(node, 4, token: token)
        #expect(split.status == 201, "\(split.json)")
        for n in 0..<8 { sent[try #require(try await e2e.send(node, to: "1631555\(7100 + n)", token: token))] = "1631555\(7100 + n)" }
        #expect(await e2e.heldMessages(node) == sent)
        let connection = try PGConnection(url: database.url)
        var counts: [String: String] = [:]
        for _ in 0..<500 {
            counts = Dictionary(
                uniqueKeysWithValues: try connection.execute(
                    "SELECT shard::text, count(*)::text FROM events WHERE kind = 7 AND shard < 4 GROUP BY shard"
                ).rows.compactMap { row in row[0].flatMap { shard in row[1].map { (shard, $0) } } })
            if counts.count == 4 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        // Shard 0 has its split-out, shards 1–3 their split-in records.
        #expect(counts.keys.sorted() == ["0", "1", "2", "3"], "\(counts)")
        let sends = try connection.execute("SELECT count(*)::text FROM events WHERE kind = 1").rows.first?[0] ?? nil
        #expect(sends == "32")
        try await node.stop()
    }
}

/// The pause of a change with a larger state: every message still held, on its hash's shard, and the
/// pause (`courier_reshard_pause_seconds`) logged and well under the 10 s budget.
@Suite(.serialized) struct ReshardPauseTests {
    @Test func pauseWith20000Messages() async throws {
        let directory = try TemporaryDirectory("courier-reshard-pause")
        defer { directory.remove() }
        let e2e = ReshardEndToEndTests()
        let node = try await RunningNode.start(directory)
        let token = try await WebhookEndToEndTests().login(node)
        try await e2e.register(node, token: token)
        let shards = node.node.shards
        let content = Array(#"{"body":"x"}"#.utf8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<64 {
                group.addTask {
                    for n in stride(from: worker, to: 20_000, by: 64) {
                        let to = "1631555\(100_000 + n % 5_000)"
                        _ = try await shards.withShard(for: to) {
                            try await $0.send(SendRequest(messageID: "gBGp\(n)", to: to, type: "text", content: content))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        for (count, label) in [(4, "1 → 4"), (1, "4 → 1")] {
            let started = ContinuousClock.now
            let change = try await e2e.setShards(node, count, token: token)
            let elapsed = ContinuousClock.now - started
            #expect(change.status == 201, "\(change.json)")
            print("reshard \(label) with 20000 messages: POST answered in \(elapsed)")
            #expect(elapsed < .seconds(10))
            #expect(await e2e.heldMessages(node).count == 20_000)
        }
        try await node.stop()
    }
}

/// A cutover over its budget is rolled back: `reshard-abort` on the targets and the control stream, the old
/// count kept (before and after a restart), the abort hook called, nothing lost, and a later change works.
@Suite(.serialized) struct ReshardRollbackTests {
    @Test func aCutoverOverItsBudgetIsRolledBack() async throws {
        let directory = try TemporaryDirectory("courier-reshard-abort")
        defer { directory.remove() }
        let e2e = ReshardEndToEndTests()
        var node = try await RunningNode.start(directory)
        var token = try await WebhookEndToEndTests().login(node)
        try await e2e.register(node, token: token)
        var sent: [String: String] = [:]
        for n in 0..<30 { sent[try #require(try await e2e.send(node, to: "1631555\(8000 + n)", token: token))] = "1631555\(8000 + n)" }
        let reasons = Mutex<[String]>([])
        await #expect(throws: ReshardError.self) {
            try await node.node.shards.reshard(
                to: 4, control: node.node.control, nodeKey: node.node.nodeKey, budget: .nanoseconds(1),
                onAbort: { reason in reasons.withLock { $0.append(reason) } })
        }
        #expect(reasons.withLock { $0.count } == 1)
        #expect(node.node.shards.shardCount == 1)
        #expect(await e2e.heldMessages(node) == sent)
        #expect(await node.node.control.snapshot.openReshard == nil)
        // Sends go on under the old map.
        sent[try #require(try await e2e.send(node, to: "16315551001", token: token))] = "16315551001"
        try await node.stop()
        node = try await RunningNode.start(directory)
        token = try await WebhookEndToEndTests().relogin(node)
        #expect(try await e2e.shardCount(node, token: token) == 1)
        #expect(await e2e.heldMessages(node) == sent)
        // The targets' copies were dropped: a later change to 2 moves each message once.
        #expect(try await e2e.setShards(node, 2, token: token).status == 201)
        #expect(await e2e.heldMessages(node) == sent)
        var total = 0
        for actor in node.node.shards.actors { total += await actor.snapshot.messages.count }
        #expect(total == sent.count)
        try await node.stop()
        let report = try LogInspector(dataDirectoryPath: directory.path, output: { _ in }).verify(LogInspector.VerifyOptions())
        #expect(report.healthy, "\(report.problems)")
    }
}
