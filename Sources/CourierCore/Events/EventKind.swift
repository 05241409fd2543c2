/// Event kind codes (eventlog.md §2). Stable forever: new kinds get new codes.
public enum EventKind: UInt16, CaseIterable, Sendable {
    case send = 1
    case receipt = 2
    case status = 3
    case markRead = 4
    case webhookDelivered = 5
    case webhookDropped = 6
    case shardChange = 7
    case settingsChange = 8
    case accountChange = 9
    case userChange = 10
    case token = 11
    case gc = 12
    case rotation = 13
    case snapshot = 14

    /// The name `courier log` prints and accepts (`--kind send,status`).
    public var name: String {
        switch self {
        case .send: "send"
        case .receipt: "receipt"
        case .status: "status"
        case .markRead: "mark-read"
        case .webhookDelivered: "webhook-delivered"
        case .webhookDropped: "webhook-dropped"
        case .shardChange: "shard-change"
        case .settingsChange: "settings-change"
        case .accountChange: "account-change"
        case .userChange: "user-change"
        case .token: "token"
        case .gc: "gc"
        case .rotation: "rotation"
        case .snapshot: "snapshot"
        }
    }

    public init?(name: String) {
        guard let kind = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = kind
    }

    /// Name for any code, known or not: unknown kinds are reported, not fatal.
    public static func name(ofCode code: UInt16) -> String {
        EventKind(rawValue: code)?.name ?? "unknown(\(code))"
    }
}
