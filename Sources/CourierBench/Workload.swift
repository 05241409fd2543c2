import CourierCore
import CourierLog

/// The events appended: `send`s shaped like an API text message, spread over a few shards.
enum Workload {
    static let shardCount = 4
    static let epoch: UInt64 = 1

    /// A ~160-character text body as the API stores it: compact JSON of the `text` object.
    static let textContent: [UInt8] = {
        let body = String(repeating: "Your order 4711 has shipped and will arrive tomorrow. ", count: 3).prefix(160)
        return Array("{\"body\":\"\(body)\"}".utf8)
    }()

    /// The `index`-th event of `appender`: a unique message id (so replay builds a full message table),
    /// a recipient that varies, and shards taken round-robin.
    static func entry(appender: Int, index: Int) -> LogEntry {
        let recipient = 16_315_550_000 + (appender * 7_919 + index) % 10_000
        let event = SendEvent(
            messageID: "wamid.bench-\(appender)-\(index)",
            to: String(recipient),
            type: "text",
            content: textContent
        )
        let shard = UInt16((appender + index) % shardCount)
        return LogEntry(shard: shard, epoch: epoch, kind: .send, payload: event.encoded())
    }

    /// How many of `total` events appender `appender` of `appenders` sends: an even split.
    static func share(of total: Int, appender: Int, appenders: Int) -> Int {
        total / appenders + (appender < total % appenders ? 1 : 0)
    }
}
