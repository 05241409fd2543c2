import CourierCore
import CourierGateway
import CourierHTTP
import CourierShards
import Logging

extension Node {
    /// The dispatcher, wired into the shards' configuration before they exist: each shard hands it the
    /// outbox entries of acknowledged events.
    static func makeWebhookDispatcher(
        _ configuration: NodeConfiguration, shardConfiguration: inout ShardActor.Configuration,
        clock: @escaping @Sendable () -> Timestamp, logger: Logger
    ) -> WebhookDispatcher {
        var dispatcherConfiguration = WebhookDispatcher.Configuration()
        dispatcherConfiguration.timeout = configuration.webhookTimeout
        let dispatcher = WebhookDispatcher(configuration: dispatcherConfiguration, clock: clock, logger: logger)
        shardConfiguration.onOutbox = { entries in dispatcher.enqueue(entries) }
        return dispatcher
    }

    /// After replay: inbound messages reach their sender's shard, `webhook-delivered` events their shard,
    /// settings come from the control stream, and what replay left pending goes to the dispatcher, or with
    /// `callback_persist: false` is dropped with one `webhook-dropped` per shard (webhooks.md §5).
    static func startWebhooks(
        _ dispatcher: WebhookDispatcher, shards: ShardDirectory, gateway: GatewaySimulator, control: ControlActor,
        logger: Logger
    ) async throws {
        gateway.inbound.onMessage { receipt in try await shards.withShard(for: receipt.from) { try await $0.recordReceipt(receipt) } }
        // A shard a merge retired has no entries left: its moved entries live on in the survivor's stream.
        dispatcher.onRecord { shard, event in _ = try await shards.withShard(number: shard) { try await $0.recordWebhook(event) } }
        shards.onOutboxMoved { entries in dispatcher.forget(entries) }
        dispatcher.onPending {
            var entries: [OutboxEntry] = []
            for actor in shards.actors { entries += await actor.acknowledgedOutbox() }
            return entries
        }
        dispatcher.onSettings { await webhookSettings(control) }
        let persist = WebhookSettings(application: await control.applicationSettings()).persist
        var pending = 0
        for actor in shards.actors {
            let entries = await actor.pendingOutbox()
            guard !entries.isEmpty else { continue }
            pending += entries.count
            if persist {
                dispatcher.enqueue(entries)
            } else {
                let event = WebhookDroppedEvent(positions: SeqRanges(entries.map(\.seq)), reason: "callback_persist is false: dropped at restart")
                try await actor.recordWebhook(.webhookDropped(event))
            }
        }
        logger.info("webhook outbox restored", metadata: ["webhook.pending": "\(pending)", "webhook.persist": "\(persist)"])
    }
}

extension Node {
    /// Callback settings as the control stream holds them, with the uploaded webhook CA.
    static func webhookSettings(_ control: ControlActor) async -> WebhookSettings {
        var settings = WebhookSettings(application: await control.applicationSettings())
        settings.trustedCAPEM = await control.section(SettingsChangeEvent.webhooksCASection)?["pem"]?.stringValue
        return settings
    }
}

extension StatusEvent {
    /// The simulated network's `conversation` and `pricing` values (webhooks.md §3).
    /// Every status of a message gets these, so the constant parts are serialized once:
    /// `{"id":…,"origin":{"type":"business_initiated"}}` and the pricing object.
    mutating func setBusinessInitiated(conversation id: String) {
        var bytes = Self.conversationPrefix
        bytes.reserveCapacity(bytes.count + id.utf8.count + Self.conversationSuffix.count + 2)
        JSONValue.string(id).write(into: &bytes)
        bytes += Self.conversationSuffix
        conversation = bytes
        pricing = Self.businessInitiatedPricing
    }

    private static let conversationPrefix = Array(#"{"id":"#.utf8)
    private static let conversationSuffix = Array(#","origin":{"type":"business_initiated"}}"#.utf8)
    private static let businessInitiatedPricing = (
        ["billable": true, "pricing_model": "CBP", "category": "business_initiated"] as JSONValue
    ).serialized()
}
