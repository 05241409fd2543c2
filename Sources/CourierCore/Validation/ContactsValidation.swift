/// `POST /v1/contacts` bodies (api.md §7.1): 1–1000 numbers in `to` notation, `blocking`, `force_check`.
public struct ContactsRequest: Hashable, Sendable {
    public var inputs: [String]
    public var blocking: Bool
    public var forceCheck: Bool
}

public enum ContactsValidation {
    public static func validate(_ body: JSONValue) -> Result<ContactsRequest, ValidationFailure> {
        var problems: [APIProblem] = []
        guard case .object(let object) = body else {
            return .failure(ValidationFailure([APIProblem(code: 1009, details: "request body must be a JSON object")]))
        }
        var inputs: [String] = []
        switch object["contacts"] {
        case nil, .null?:
            problems.append(APIProblem(code: 1008, details: "contacts is required"))
        case .array(let values)?:
            if !(1...1000).contains(values.count) {
                problems.append(APIProblem(code: 1009, details: "contacts must hold 1 to 1000 entries"))
            }
            for (index, value) in values.enumerated() {
                guard case .string(let input) = value else {
                    problems.append(APIProblem(code: 1009, details: "contacts[\(index)] must be a string"))
                    continue
                }
                inputs.append(input)
            }
        case let other?:
            problems.append(APIProblem(code: 1009, details: "contacts must be an array of strings, not \(other.typeName)"))
        }
        var blocking = true
        switch object["blocking"] {
        case nil, .null?, .string("wait")?: break
        case .string("no_wait")?: blocking = false
        default: problems.append(APIProblem(code: 1009, details: "blocking must be wait or no_wait"))
        }
        var forceCheck = false
        if let value = object["force_check"], value != .null {
            if let flag = LenientValue.bool(value) {
                forceCheck = flag
            } else {
                problems.append(APIProblem(code: 1009, details: "force_check must be a boolean"))
            }
        }
        guard problems.isEmpty else { return .failure(ValidationFailure(problems)) }
        return .success(ContactsRequest(inputs: inputs, blocking: blocking, forceCheck: forceCheck))
    }
}
