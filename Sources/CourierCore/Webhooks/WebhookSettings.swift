/// The application settings that govern callbacks (api.md §9.1), read from the effective settings object.
public struct WebhookSettings: Hashable, Sendable {
    /// `webhooks.url`; empty: entries wait in the outbox.
    public var url: String = ""
    /// `webhooks.max_concurrent_requests`: callbacks in flight at once per node.
    public var maxConcurrentRequests = 6
    /// `webhooks.max_batch_size`: entries per callback.
    public var maxBatchSize = 1
    /// `webhooks.message.sent` / `.delivered` / `.read`.
    public var postSent = true
    public var postDelivered = true
    public var postRead = true
    /// `callback_persist`.
    public var persist = true
    /// `callback_backoff_delay_ms` and `max_callback_backoff_delay_ms`.
    public var backoffDelayMilliseconds: Int64 = 3000
    public var maximumBackoffDelayMilliseconds: Int64 = 900_000
    /// `webhook_payload_conversation_pricingmodel_disabled`.
    public var conversationPricingDisabled = false
    /// `media.auto_download`: inbound media kinds whose callbacks carry `file` (webhooks.md §2).
    public var autoDownload: Set<String> = ["image", "video", "voice", "sticker", "audio", "document"]
    /// `notify_user_change_number` and `show_security_notifications`: post those system messages.
    public var notifyUserChangeNumber = true
    public var showSecurityNotifications = true
    /// PEM CA bundle from `/v1/certificates/webhooks/ca`, trusted for `https` URLs besides the system store.
    public var trustedCAPEM: String? = nil

    public init() {}

    /// From `ApplicationSettings.effective(_:)` output; fields that are missing or of the wrong type keep
    /// their defaults (the control stream only holds validated values).
    public init(application settings: JSONObject) {
        func int(_ value: JSONValue?) -> Int64? {
            if case .integer(let number)? = value { return number }
            return nil
        }
        func bool(_ value: JSONValue?) -> Bool? {
            if case .bool(let flag)? = value { return flag }
            return nil
        }
        let webhooks = settings["webhooks"]
        url = webhooks?["url"]?.stringValue ?? ""
        maxConcurrentRequests = int(webhooks?["max_concurrent_requests"]).map { Int(max(1, $0)) } ?? 6
        maxBatchSize = int(webhooks?["max_batch_size"]).map { Int(max(1, $0)) } ?? 1
        postSent = bool(webhooks?["message"]?["sent"]) ?? true
        postDelivered = bool(webhooks?["message"]?["delivered"]) ?? true
        postRead = bool(webhooks?["message"]?["read"]) ?? true
        persist = bool(settings["callback_persist"]) ?? true
        backoffDelayMilliseconds = int(settings["callback_backoff_delay_ms"]) ?? 3000
        maximumBackoffDelayMilliseconds = int(settings["max_callback_backoff_delay_ms"]) ?? 900_000
        conversationPricingDisabled = bool(settings["webhook_payload_conversation_pricingmodel_disabled"]) ?? false
        notifyUserChangeNumber = bool(settings["notify_user_change_number"]) ?? true
        showSecurityNotifications = bool(settings["show_security_notifications"]) ?? true
        if let kinds = settings["media"]?["auto_download"]?.arrayValue {
            autoDownload = Set(kinds.compactMap(\.stringValue))
        }
    }

    /// Whether an entry is posted: inbound always; `sent`/`delivered`/`read` per toggle; `failed` and
    /// `deleted` always (webhooks.md §3).
    public func posts(_ entry: OutboxEntry) -> Bool {
        if case .inbound(let receipt) = entry.item, receipt.type == "system" {
            switch (try? JSONParser.parse(receipt.content))?["type"]?.stringValue {
            case "user_changed_number"?: return notifyUserChangeNumber
            case "customer_identity_changed"?: return showSecurityNotifications
            default: return true
            }
        }
        switch entry.status {
        case .sent?: return postSent
        case .delivered?: return postDelivered
        case .read?: return postRead
        default: return true
        }
    }

    /// The wait after the n-th consecutive failure: `min(n × delay, cap)` (webhooks.md §5).
    public func backoff(afterFailures failures: Int) -> Duration {
        let (product, overflow) = Int64(max(1, failures)).multipliedReportingOverflow(by: backoffDelayMilliseconds)
        return .milliseconds(overflow ? maximumBackoffDelayMilliseconds : min(product, maximumBackoffDelayMilliseconds))
    }
}
