import CourierCore

/// What the simulated network does with one outbound message: which receipts, after what delays.
/// Pure and seeded: the same seed and message id give the same plan (api.md §16 `--seed`).
public struct ReceiptPlan: Hashable, Sendable {
    public struct Step: Hashable, Sendable {
        public var status: MessageStatus
        /// Delay after the previous step (after dispatch for the first).
        public var delay: Duration
        /// The error code of a `failed` receipt (webhooks.md §3).
        public var errorCode: Int?
    }

    public var steps: [Step]

    public static func plan(messageID: String, to waID: String, configuration: GatewayConfiguration) -> ReceiptPlan {
        if let suffix = configuration.unknownSuffix, !suffix.isEmpty, waID.hasSuffix(suffix) {
            // Not on the network: failed, 1013 "User is not valid".
            return ReceiptPlan(steps: [Step(status: .failed, delay: configuration.sentDelay, errorCode: 1013)])
        }
        var steps = [
            Step(status: .sent, delay: configuration.sentDelay, errorCode: nil),
            Step(status: .delivered, delay: configuration.deliveredDelay - configuration.sentDelay, errorCode: nil),
        ]
        var random = SeededRandom(seed: configuration.seed ^ ShardHash.fnv1a64(messageID))
        let draw = Double(random.next() >> 11) / Double(1 << 53)
        if draw < configuration.readRatio {
            steps.append(Step(status: .read, delay: configuration.readDelay - configuration.deliveredDelay, errorCode: nil))
        }
        for index in steps.indices where steps[index].delay < .zero { steps[index].delay = .zero }
        return ReceiptPlan(steps: steps)
    }

    /// The simulated network opens one business-initiated conversation per recipient: 32 hex digits,
    /// seeded, the same for every receipt to that recipient.
    public static func conversationID(to waID: String, seed: UInt64) -> String {
        var random = SeededRandom(seed: seed ^ ShardHash.fnv1a64("conversation:" + waID))
        return [random.next(), random.next()].map { value in
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}

/// The simulator's options (api.md §16): delays from dispatch, read ratio, seed, unknown numbers.
public struct GatewayConfiguration: Sendable {
    /// `--sent-ms` (20): dispatch → `sent`.
    public var sentDelay: Duration = .milliseconds(20)
    /// `--delivered-ms` (50): dispatch → `delivered`.
    public var deliveredDelay: Duration = .milliseconds(50)
    /// `--read-ms` (500): dispatch → `read`.
    public var readDelay: Duration = .milliseconds(500)
    /// `--read-ratio` (1.0): the share of delivered messages that are read.
    public var readRatio: Double = 1.0
    /// `--seed`: makes plans (and ids) deterministic.
    public var seed: UInt64 = 0
    /// `--unknown-suffix`: numbers ending so are not on the network.
    public var unknownSuffix: String? = nil
    /// `--strict-certs`: only certificates this gateway signed (`POST /gateway/certs`) pass.
    public var strictCertificates = false

    public init() {}
}
