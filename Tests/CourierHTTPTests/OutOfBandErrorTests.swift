@testable import CourierApp
import CourierCore
import CourierHTTP
import CourierStore
import CourierTesting
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Out-of-band errors callbacks (webhooks.md §6) posted to a loopback receiver: the gateway session lost
/// (1011) through a whole node, the free-space floor (1016) and the 3-attempt limit through the watcher
/// itself, with real statvfs readings and real HTTP.
@Suite(.serialized) struct OutOfBandErrorTests {
    func errorCallbacks(_ receiver: WebhookReceiver, code: Int) -> [ReceivedCallback] {
        receiver.callbacks.withLock { $0 }.filter { $0.body["errors"]?.arrayValue?.first?["code"] == .integer(Int64(code)) }
    }

    @Test func aGatewaySessionLostPastTheThresholdPostsOne1011Callback() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-oob-gateway")
        defer { directory.remove() }
        var configuration = NodeConfiguration()
        configuration.dataDirectory = directory.path
        configuration.listenPort = 0
        configuration.minimumFreeBytes = 0
        configuration.webhookTimeout = .seconds(2)
        configuration.gatewaySessionLostAfter = .milliseconds(400)
        configuration.outOfBandPollInterval = .milliseconds(50)
        let node = try await RunningNode.start(configuration)
        let suite = WebhookEndToEndTests()
        let token = try await suite.login(node)
        let base = "http://127.0.0.1:\(receiver.port.withLock { $0 })"
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"webhooks":{"url":"\#(base)/hook"}}"#, token: token).status == 200)
        // Registered, so /v1/health shows the session (api.md §5).
        #expect(try await node.call(.POST, "/v1/account", #"{"cc":"1","phone_number":"6315551000","method":"sms","cert":"c"}"#, token: token).status == 202)
        let code = try #require(try await node.call(.GET, "/gateway/codes").json.arrayValue?.first?["code"]?.stringValue)
        #expect(try await node.call(.POST, "/v1/account/verify", #"{"code":"\#(code)"}"#, token: token).status == 201)
        func health() async throws -> String? { try await node.call(.GET, "/v1/health", token: token).json["health"]?["gateway_status"]?.stringValue }
        #expect(try await health() == "connected")
        let offlineAt = ContinuousClock.now  // before the call: the answer may arrive late on a loaded machine
        #expect(try await node.call(.POST, "/gateway/offline").status == 200)
        if ContinuousClock.now - offlineAt < .milliseconds(300) {
            #expect(try await health() == "connecting")
        }
        try await suite.waitUntil("the 1011 errors callback") { !errorCallbacks(receiver, code: 1011).isEmpty }
        #expect(ContinuousClock.now - offlineAt >= .milliseconds(400), "posted before the session was lost for the threshold")
        let callback = try #require(errorCallbacks(receiver, code: 1011).first)
        let error = try #require(callback.body["errors"]?.arrayValue?.first)
        #expect(error["title"] == "Service not ready")
        #expect(error["details"]?.stringValue?.hasPrefix("gateway session lost on \(node.node.nodeKey) for ") == true)
        #expect(callback.delivery.hasPrefix("\(node.node.nodeKey):oob-1011-"))
        #expect(callback.attempt == 1)
        #expect(try await health() == "disconnected")
        #expect(callback.userAgent.hasPrefix("Courier/"))
        // Still offline, but one callback per condition per 5 minutes; no event was logged for it.
        try await Task.sleep(for: .milliseconds(600))
        #expect(errorCallbacks(receiver, code: 1011).count == 1)
        #expect(node.node.outOfBandErrors?.stats().decided == 1)
        #expect(try await node.call(.POST, "/gateway/online").status == 200)
        #expect(try await health() == "connected")
        try await node.stop()
    }

    @Test func replicationStuckPastTheThresholdPostsOne1023Callback() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let server = try PrivatePostgres()
        defer { server.stop() }
        let database = try TestDatabase.create(serverURL: server.serverURL)
        let directory = try TemporaryDirectory("courier-oob-replication")
        defer { directory.remove() }
        var configuration = NodeConfiguration()
        configuration.dataDirectory = directory.path
        configuration.listenPort = 0
        configuration.minimumFreeBytes = 0
        configuration.webhookTimeout = .seconds(2)
        configuration.database = database.configuration
        configuration.replicationAck = .local
        configuration.replicationLagAfter = .seconds(1)
        configuration.outOfBandPollInterval = .milliseconds(50)
        let node = try await RunningNode.start(configuration)
        let suite = WebhookEndToEndTests()
        let token = try await suite.login(node)
        let base = "http://127.0.0.1:\(receiver.port.withLock { $0 })"
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"webhooks":{"url":"\#(base)/hook"}}"#, token: token).status == 200)
        // Replicating normally: no lag reported.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(errorCallbacks(receiver, code: 1023).isEmpty)
        // PostgreSQL stops answering (SIGSTOP): the replicator hangs inside libpq, the local log goes on.
        try server.pause()
        let paused = ContinuousClock.now
        let send = try await node.call(.POST, "/v1/messages", #"{"to":"16315551000","text":{"body":"hi"}}"#, token: token)
        #expect(send.status == 201)
        for _ in 0..<1000 where errorCallbacks(receiver, code: 1023).isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        try server.resume()
        let callbacks = errorCallbacks(receiver, code: 1023)
        #expect(callbacks.count == 1)
        #expect(ContinuousClock.now - paused >= .seconds(1))
        let error = try #require(callbacks.first?.body["errors"]?.arrayValue?.first)
        #expect(error["title"] == "Database error occurred")
        #expect(error["details"]?.stringValue?.hasPrefix("replication to PostgreSQL from \(node.node.nodeKey) lagging ") == true)
        try await node.stop()
    }

    /// A watcher over a real temp dir whose floor lies above its free space, posting to `url`.
    func watcher(
        directory: TemporaryDirectory, url: String, floorAboveFree: Bool, retryDelay: Duration = .milliseconds(50)
    ) throws -> (OutOfBandErrors, WebhookDispatcher) {
        let free = try #require(FreeSpace.bytes(directory.path))
        var configuration = OutOfBandErrors.Configuration()
        configuration.thresholds.minimumFreeBytes = floorAboveFree ? free + (1 << 40) : 0
        configuration.thresholds.retryDelay = retryDelay
        configuration.pollInterval = .milliseconds(50)
        var sources = OutOfBandErrors.Sources()
        let path = directory.path
        sources.freeBytes = { [(path: path, bytes: FreeSpace.bytes(path))] }
        var dispatcherConfiguration = WebhookDispatcher.Configuration()
        dispatcherConfiguration.timeout = .seconds(2)
        let logger = Logger(label: "test.oob")
        let dispatcher = WebhookDispatcher(configuration: dispatcherConfiguration, clock: SystemSources.clock, logger: logger)
        var settings = WebhookSettings()
        settings.url = url
        let fixed = settings
        let watcher = OutOfBandErrors(
            nodeKey: "test:0123456789ab", configuration: configuration, sources: sources, dispatcher: dispatcher,
            settings: { fixed }, clock: SystemSources.clock, logger: logger)
        return (watcher, dispatcher)
    }

    func run(_ services: [any Service], _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: services.map { .init(service: $0) }, logger: Logger(label: "test.group")))
        let task = Task { try await group.run() }
        do { try await body() } catch {
            await group.triggerGracefulShutdown()
            try? await task.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await task.value
    }

    @Test func freeSpaceBelowTheFloorPostsOne1016Callback() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-oob-free")
        defer { directory.remove() }
        let url = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        let (watcher, dispatcher) = try watcher(directory: directory, url: url, floorAboveFree: true)
        try await run([dispatcher, watcher]) {
            try await WebhookEndToEndTests().waitUntil("the 1016 errors callback") { !errorCallbacks(receiver, code: 1016).isEmpty }
            try await Task.sleep(for: .milliseconds(300))
        }
        let callbacks = errorCallbacks(receiver, code: 1016)
        #expect(callbacks.count == 1)
        let error = try #require(callbacks.first?.body["errors"]?.arrayValue?.first)
        #expect(error["title"] == "System overloaded")
        #expect(error["details"]?.stringValue?.contains("\(directory.path) has ") == true)
        #expect(receiver.callbacks.withLock { $0 }.count == 1)
    }

    @Test func freeSpaceAboveTheFloorPostsNothing() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-oob-free-ok")
        defer { directory.remove() }
        let url = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        let (watcher, dispatcher) = try watcher(directory: directory, url: url, floorAboveFree: false)
        try await run([dispatcher, watcher]) {
            try await Task.sleep(for: .milliseconds(400))
        }
        #expect(receiver.callbacks.withLock { $0 }.isEmpty)
        #expect(watcher.stats().decided == 0)
    }

    @Test func aReportedRollbackIsPostedAtMostThreeTimesAndOncePer5Minutes() async throws {
        let receiver = WebhookReceiver()
        receiver.failing.withLock { $0 = true }
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-oob-reshard")
        defer { directory.remove() }
        let url = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        let (watcher, dispatcher) = try watcher(directory: directory, url: url, floorAboveFree: false)
        try await run([dispatcher, watcher]) {
            await watcher.report(condition: .reshardRolledBack, details: "cutover of shard 1 not done within 10 s")
            await watcher.report(condition: .reshardRolledBack, details: "a second rollback within 5 minutes")
            try await WebhookEndToEndTests().waitUntil("the callback given up") { watcher.stats().abandoned == 1 }
            try await Task.sleep(for: .milliseconds(300))
        }
        let callbacks = errorCallbacks(receiver, code: 1014)
        #expect(callbacks.map(\.attempt) == [1, 2, 3])
        #expect(Set(callbacks.map(\.delivery)).count == 1, "the delivery id is stable over the attempts")
        #expect(callbacks.first?.body == ["errors": [["code": 1014, "title": "Internal error", "details": "cutover of shard 1 not done within 10 s"]]])
        let stats = watcher.stats()
        #expect((stats.decided, stats.succeeded, stats.failedAttempts, stats.abandoned) == (1, 0, 3, 1))
    }
}
