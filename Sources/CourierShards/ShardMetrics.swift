import CourierCore
import Metrics

/// A shard actor's metrics (`/metrics`, api.md §12.2).
struct ShardMetrics: Sendable {
    let rejected: Counter
    /// Appends awaiting durability on this shard (`COURIER_SHARD_QUEUE_LIMIT` bounds it).
    let queueDepth: Gauge

    init(shard: UInt16) {
        let dimensions = [("shard", String(shard))]
        rejected = Counter(label: "courier_messages_rejected_total", dimensions: dimensions)
        queueDepth = Gauge(label: "courier_shard_queue_depth", dimensions: dimensions)
    }

    /// `courier_messages_accepted_total{type}`, a handle per message type made once.
    static let accepted: [String: Counter] = Dictionary(
        uniqueKeysWithValues: SendValidation.messageTypes.map { ($0, Counter(label: "courier_messages_accepted_total", dimensions: [("type", $0)])) })

    /// `courier_statuses_total{status}`.
    static let statuses: [MessageStatus: Counter] = Dictionary(
        uniqueKeysWithValues: MessageStatus.allCases.map { ($0, Counter(label: "courier_statuses_total", dimensions: [("status", $0.rawValue)])) })

    func accepted(type: String) { Self.accepted[type]?.increment() }

    func received(_ status: MessageStatus) { Self.statuses[status]?.increment() }
}
