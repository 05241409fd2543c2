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
            content = value
            problems += validateContent(type: type, value)
        }
        guard problems.isEmpty, let waID else { return .failure(ValidationFailure(problems)) }
        return .success(ValidatedSend(to: waID, type: type, content: content.serialized()))
    }

    static func validateContent(type: String, _ value: JSONValue) -> [APIProblem] {
        var problems: [APIProblem] = []
        guard case .object(let object) = value else {
            return [APIProblem(code: 1009, details: "\(type) must be an object, not \(value.typeName)")]
        }
        switch type {
        case "text":
            switch object["body"] {
            case nil, .null?: problems.append(APIProblem(code: 1008, details: "text.body is required"))
            case .string(let body)?:
                let length = body.unicodeScalars.count
                if length == 0 { problems.append(APIProblem(code: 1009, details: "text.body must not be empty")) }
                if length > 4096 { problems.append(APIProblem(code: 1001, details: "text.body is longer than 4096 characters")) }
            case let other?: problems.append(APIProblem(code: 1009, details: "text.body must be a string, not \(other.typeName)"))
            }
        default:
            // The other types are validated by the full API (issue: /v1 API); accepted as given until then.
            break
        }
        return problems
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
