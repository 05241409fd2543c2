import CourierCore
import Foundation
import Synchronization

/// The simulated network's inbound side (api.md §16 `POST /gateway/inbound`): users' messages to the
/// business, handed to Courier as `receipt` events, and the read receipts Courier sends back.
public final class GatewayInbound: Sendable {
    /// A read receipt the network got for an inbound message (`PUT /v1/messages/{id}`).
    public struct ReadReceipt: Hashable, Sendable {
        public var messageID: String
        public var to: String
    }

    /// Stores an inbound media file on the media volume; returns its media id, SHA-256 and path.
    public typealias MediaStorage = @Sendable (_ bytes: [UInt8], _ mimeType: String) async throws -> (id: String, sha256: String, path: String)

    private struct State {
        var random: SeededRandom
        var handler: (@Sendable (ReceiptEvent) async throws -> Void)?
        var storeMedia: MediaStorage?
        var readReceipts: [ReadReceipt] = []
    }

    /// Read receipts remembered for `readReceipts()`; older ones are forgotten.
    static let rememberedReadReceipts = 10_000
    private let clock: @Sendable () -> Timestamp
    private let state: Mutex<State>

    init(seed: UInt64, clock: @escaping @Sendable () -> Timestamp) {
        self.clock = clock
        state = Mutex(State(random: SeededRandom(seed: seed ^ 0x1b0d_1d5e_ed00_0001)))
    }

    /// Where inbound messages go: the node logs each on its sender's shard and returns once it is durable.
    public func onMessage(_ handler: @escaping @Sendable (ReceiptEvent) async throws -> Void) {
        state.withLock { $0.handler = handler }
    }

    /// Where inbound media bytes go (the node's media volume, `incoming/`), before the message is logged.
    public func onMedia(_ storage: @escaping MediaStorage) {
        state.withLock { $0.storeMedia = storage }
    }

    /// Validates an injected message (the objects of api.md §6.1, plus inbound-only types) and hands it to
    /// Courier; returns its `ABG…` id once logged. Throws `ValidationFailure` for bad input.
    public func inject(_ body: JSONValue) async throws -> String {
        var message = try InboundValidation.validate(body)
        let (random, handler, storeMedia) = state.withLock { state in
            ((state.random.next(), state.random.next()), state.handler, state.storeMedia)
        }
        let id = MessageID.inbound(from: message.from, random: random)
        var mediaIDs: [String] = []
        if let bytes = message.mediaBytes, var object = message.content?.objectValue, let storeMedia {
            // Stored before the message is logged, so its callback can name the file (webhooks.md §2).
            let stored = try await storeMedia(bytes, object["mime_type"]?.stringValue ?? "application/octet-stream")
            object["id"] = .string(stored.id)
            object["sha256"] = .string(stored.sha256)
            object["file"] = .string(stored.path)
            message.content = .object(object)
            mediaIDs = [stored.id]
        }
        let receipt = ReceiptEvent(
            messageID: id, from: message.from, type: message.type, content: message.content.map { $0.serialized() } ?? [],
            networkTimestamp: clock(), profileName: message.profileName, mediaIDs: mediaIDs, contextFrom: message.contextFrom,
            contextID: message.contextID)
        guard let handler else { throw GatewayUnavailable() }
        try await handler(receipt)
        return id
    }

    /// A system message about a user (webhooks.md §4: `user_changed_number`, `customer_identity_changed`),
    /// logged like an inbound message of type `system`; returns its id.
    public func injectSystem(from waID: String, system: JSONValue) async throws -> String {
        let (random, handler) = state.withLock { state in ((state.random.next(), state.random.next()), state.handler) }
        let id = MessageID.inbound(from: waID, random: random)
        let receipt = ReceiptEvent(messageID: id, from: waID, type: "system", content: system.serialized(), networkTimestamp: clock())
        guard let handler else { throw GatewayUnavailable() }
        try await handler(receipt)
        return id
    }

    /// Takes a read receipt for an inbound message (sent by the business after `mark-read`).
    public func receiveReadReceipt(messageID: String, to: String) {
        state.withLock { state in
            state.readReceipts.append(ReadReceipt(messageID: messageID, to: to))
            if state.readReceipts.count > 2 * Self.rememberedReadReceipts {
                state.readReceipts.removeFirst(state.readReceipts.count - Self.rememberedReadReceipts)
            }
        }
    }

    /// Read receipts the network received, oldest first.
    public func readReceipts() -> [ReadReceipt] { state.withLock { $0.readReceipts } }
}

/// No node is attached to the simulated network yet.
public struct GatewayUnavailable: Error, CustomStringConvertible {
    public var description: String { "the simulated network is not connected to a node" }
}

/// An injected inbound message, checked.
struct InboundMessageRequest {
    var from: String
    var type: String
    var content: JSONValue?
    var profileName: String
    var contextFrom: String?
    var contextID: String?
    /// The decoded `data` of an inbound media message (never logged: it goes to the media volume).
    var mediaBytes: [UInt8]? = nil
}

enum InboundValidation {
    static let mediaTypes: Set<String> = ["image", "video", "document", "audio", "voice", "sticker"]
    static let types: Set<String> = mediaTypes.union(["text", "location", "contacts", "interactive", "button", "unknown"])

    static func validate(_ body: JSONValue) throws(ValidationFailure) -> InboundMessageRequest {
        guard let object = body.objectValue else {
            throw ValidationFailure([APIProblem(code: 1009, details: "the body must be a JSON object")])
        }
        guard let rawFrom = object["from"] else { throw ValidationFailure([APIProblem(code: 1008, details: "from is required")]) }
        guard let fromText = rawFrom.stringValue, let from = WaID.normalize(fromText) else {
            throw ValidationFailure([APIProblem(code: 1013, details: "from must be a phone number or wa_id")])
        }
        let type = object["type"].map { $0.stringValue ?? "" } ?? "text"
        guard types.contains(type) else {
            throw ValidationFailure([APIProblem(code: 1009, details: "type must be one of \(types.sorted().joined(separator: ", "))")])
        }
        var problems: [APIProblem] = []
        var content: JSONValue? = nil
        var mediaBytes: [UInt8]? = nil
        if type != "unknown" {
            content = try typeObject(object[type], type: type)
            if mediaTypes.contains(type), let data = object[type]?["data"] {
                guard let text = data.stringValue, let decoded = Data(base64Encoded: text), !decoded.isEmpty else {
                    throw ValidationFailure([APIProblem(code: 1009, details: "\(type).data must be non-empty base64")])
                }
                mediaBytes = Array(decoded)
            }
        }
        var profileName = ""
        if let name = object["name"] ?? object["profile"]?["name"] {
            if let text = name.stringValue { profileName = text } else { problems.append(APIProblem(code: 1009, details: "name must be a string")) }
        }
        var contextFrom: String? = nil
        var contextID: String? = nil
        if let context = object["context"] {
            contextID = context["id"]?.stringValue
            contextFrom = context["from"]?.stringValue
            if contextID == nil { problems.append(APIProblem(code: 1009, details: "context.id must be a string")) }
        }
        if !problems.isEmpty { throw ValidationFailure(problems) }
        return InboundMessageRequest(
            from: from, type: type, content: content, profileName: profileName, contextFrom: contextFrom, contextID: contextID,
            mediaBytes: mediaBytes)
    }

    /// The type object as the callback carries it.
    static func typeObject(_ value: JSONValue?, type: String) throws(ValidationFailure) -> JSONValue {
        guard let value else { throw ValidationFailure([APIProblem(code: 1008, details: "\(type) is required")]) }
        if type == "contacts" {
            guard case .array(let contacts) = value, !contacts.isEmpty, contacts.allSatisfy({ $0.objectValue != nil }) else {
                throw ValidationFailure([APIProblem(code: 1009, details: "contacts must be a non-empty array of objects")])
            }
            return value
        }
        guard var object = value.objectValue else {
            throw ValidationFailure([APIProblem(code: 1009, details: "\(type) must be an object")])
        }
        switch type {
        case "text":
            guard let text = object["body"]?.stringValue, !text.isEmpty, text.unicodeScalars.count <= 4096 else {
                throw ValidationFailure([APIProblem(code: 1009, details: "text.body must be a string of 1–4096 characters")])
            }
        case "location":
            for key in ["latitude", "longitude"] {
                switch object[key] {
                case .integer?, .double?: continue
                default: throw ValidationFailure([APIProblem(code: 1009, details: "location.\(key) must be a number")])
                }
            }
        case _ where mediaTypes.contains(type):
            // `data` (base64) goes to the media volume, not into the log; the object keeps what the
            // callback shows (mime_type, caption, filename; id, sha256 and file once stored).
            object["data"] = nil
            for key in ["id", "sha256", "file"] { object[key] = nil }
            if object["mime_type"] == nil { object["mime_type"] = .string(defaultMIMEType(type)) }
        default:
            break
        }
        return .object(object)
    }

    static func defaultMIMEType(_ type: String) -> String {
        switch type {
        case "image", "sticker": "image/jpeg"
        case "video": "video/mp4"
        case "audio", "voice": "audio/ogg"
        default: "application/pdf"
        }
    }
}
