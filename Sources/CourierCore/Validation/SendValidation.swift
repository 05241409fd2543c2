/// Validation of a `POST /v1/messages` body (api.md §6.1) into a `SendRequest` minus its id.
///
/// Reports up to 10 problems found in one pass (api.md §1.4).
public struct ValidatedSend: Hashable, Sendable {
    public var to: String
    public var type: String
    /// The type object, re-serialized compactly: what the `send` event stores.
    public var content: [UInt8]
}

public enum SendValidation {
    public static let messageTypes: Set<String> = [
        "text", "template", "image", "audio", "video", "document", "sticker", "location", "contacts", "interactive",
    ]

    public static func validate(_ body: JSONValue) -> Result<ValidatedSend, ValidationFailure> {
        var problems: [APIProblem] = []
        guard case .object(let object) = body else {
            return .failure(ValidationFailure([APIProblem(code: 1009, details: "request body must be a JSON object, not \(body.typeName)")]))
        }
        var waID: String? = nil
        switch object["to"] {
        case nil, .null?:
            problems.append(APIProblem(code: 1008, details: "to is required"))
        case .string(let to)?:
            waID = WaID.normalize(to)
            if waID == nil { problems.append(APIProblem(code: 1013, details: "to is not a valid phone number or wa_id")) }
        case let other?:
            problems.append(APIProblem(code: 1009, details: "to must be a string, not \(other.typeName)"))
        }
        if let recipientType = object["recipient_type"], recipientType != .null, recipientType != .string("individual") {
            problems.append(APIProblem(code: 1002, details: "recipient_type must be individual"))
        }
        var type = "text"
        switch object["type"] {
        case nil, .null?: break
        case .string(let value)? where messageTypes.contains(value): type = value
        case .string?: problems.append(APIProblem(code: 1009, details: "type must be one of \(messageTypes.sorted().joined(separator: ", "))"))
        case let other?: problems.append(APIProblem(code: 1009, details: "type must be a string, not \(other.typeName)"))
        }
        if let preview = object["preview_url"], preview != .null {
            if type != "text" {
                problems.append(APIProblem(code: 1010, details: "preview_url is only allowed with type text"))
            } else if LenientValue.bool(preview) == nil {
                problems.append(APIProblem(code: 1009, details: "preview_url must be a boolean"))
            }
        }
        for other in messageTypes where other != type && object[other] != nil && object[other] != .null {
            problems.append(APIProblem(code: 1010, details: "\(other) is not allowed with type \(type)"))
        }
        var content: JSONValue = .null
        switch object[type] {
        case nil, .null?:
            problems.append(APIProblem(code: 1008, details: "\(type) is required"))
        case let value?:
            // Validated as normalized, so the stored content is exactly what was checked.
            content = normalizedContent(type: type, value)
            problems += validateContent(type: type, content)
        }
        guard problems.isEmpty, let waID else { return .failure(ValidationFailure(problems)) }
        return .success(ValidatedSend(to: waID, type: type, content: content.serialized()))
    }

    /// The type object in the one shape the rest of Courier reads (api.md §1.5 leniencies resolved).
    static func normalizedContent(type: String, _ value: JSONValue) -> JSONValue {
        type == "template" ? normalizedTemplate(value) : value
    }

    /// The problems of the type object of a `type` send (api.md §6.1), at most 10.
    ///
    /// Only what the body alone decides: media ids (1006) and media providers need state and are
    /// checked where the send is handled. Members the spec does not name are ignored.
    static func validateContent(type: String, _ value: JSONValue) -> [APIProblem] {
        var checker = Checker()
        switch type {
        case "text": checker.text(value, at: type)
        case "image", "video", "document", "audio", "sticker": checker.media(value, kind: type, at: type)
        case "location": checker.location(value, at: type)
        case "contacts": checker.contacts(value, at: type)
        case "template": checker.template(value, at: type)
        case "interactive": checker.interactive(value, at: type)
        default:
            // `validate` only passes types of `messageTypes`; a new type without rules is refused, not accepted.
            assertionFailure("no validation for message type \(type)")
            checker.report(1009, "type \(type) is not supported")
        }
        return checker.problems
    }
}

extension SendValidation.Checker {
    /// `text: {body}`: 1–4096 characters, longer is 1001 `Message too long`.
    mutating func text(_ value: JSONValue, at path: String) {
        guard let text = object(value, at: path) else { return }
        _ = string(text["body"], at: "\(path).body", length: 1...4096, tooLongCode: 1001)
    }
}

/// api.md §1.5: integers, numbers and booleans may arrive as JSON strings.
public enum LenientValue {
    public static func bool(_ value: JSONValue) -> Bool? {
        switch value {
        case .bool(let flag): flag
        case .string("true"): true
        case .string("false"): false
        default: nil
        }
    }

    public static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case .integer(let number): number
        case .double(let number) where number.rounded() == number && abs(number) < 9e15: Int64(number)
        case .string(let text): Int64(text)
        default: nil
        }
    }

    public static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let number): Double(number)
        case .double(let number): number
        case .string(let text): Double(text).flatMap { $0.isFinite ? $0 : nil }
        default: nil
        }
    }
}
