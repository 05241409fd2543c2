/// A validated `POST /v1/account` body (api.md §4.1).
public struct AccountCodeRequest: Hashable, Sendable {
    public var cc: String
    public var phoneNumber: String
    public var method: String
    public var cert: String
    public var pin: String?

    public var waID: String { cc + phoneNumber }
}

/// A validated `POST /v1/account/shards` body (api.md §4.4).
public struct ShardCountRequest: Hashable, Sendable {
    public var cc: String
    public var phoneNumber: String
    public var shards: Int
    public var pin: String?
    public var cert: String?

    public var waID: String { cc + phoneNumber }
}

/// Field rules of the account endpoints (api.md §4, §9.3), every problem found in one pass (§1.4).
public enum AccountValidation {
    /// api.md §4.4: the shard counts Courier runs.
    public static let allowedShardCounts = [1, 2, 4, 8, 16, 32]

    public static func isDigits(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// `cc`: 1–3 digits.
    public static func isCountryCode(_ cc: String) -> Bool { isDigits(cc) && cc.utf8.count <= 3 }

    /// `phone_number`: 4–14 digits, and `cc` + number at most 15 digits.
    public static func isPhoneNumber(_ number: String, cc: String) -> Bool {
        isDigits(number) && (4...14).contains(number.utf8.count) && cc.utf8.count + number.utf8.count <= 15
    }

    /// A two-step PIN: exactly 6 digits.
    public static func isPIN(_ pin: String) -> Bool { isDigits(pin) && pin.utf8.count == 6 }

    /// A verification code: 6 digits, `123456` or `123-456` (api.md §4.2). Returns the digits.
    public static func code(_ text: String) -> String? {
        var digits = text
        if text.utf8.count == 7, let dash = text.firstIndex(of: "-"), text.distance(from: text.startIndex, to: dash) == 3 {
            digits.remove(at: dash)
        }
        return isDigits(digits) && digits.utf8.count == 6 ? digits : nil
    }

    public static func validateCodeRequest(_ body: JSONValue) -> Result<AccountCodeRequest, ValidationFailure> {
        guard case .object(let object) = body else { return .failure(notAnObject) }
        var problems: [APIProblem] = []
        let (cc, phoneNumber) = number(object, &problems)
        let method = string(object, "method", required: true, &problems)
        if let method, method != "sms" && method != "voice" {
            problems.append(APIProblem(code: 1009, details: "method must be sms or voice"))
        }
        let cert = string(object, "cert", required: true, &problems)
        if let cert, cert.isEmpty { problems.append(APIProblem(code: 1009, details: "cert must not be empty")) }
        let pin = self.pin(object, &problems)
        guard problems.isEmpty, let cc, let phoneNumber, let method, let cert else {
            return .failure(ValidationFailure(problems))
        }
        return .success(AccountCodeRequest(cc: cc, phoneNumber: phoneNumber, method: method, cert: cert, pin: pin))
    }

    public static func validateShardRequest(_ body: JSONValue) -> Result<ShardCountRequest, ValidationFailure> {
        guard case .object(let object) = body else { return .failure(notAnObject) }
        var problems: [APIProblem] = []
        let (cc, phoneNumber) = number(object, &problems)
        var shards: Int? = nil
        switch object["shards"] {
        case nil, .null?:
            problems.append(APIProblem(code: 1008, details: "shards is required"))
        case let value?:
            if let count = LenientValue.integer(value), allowedShardCounts.contains(Int(count)) {
                shards = Int(count)
            } else {
                problems.append(APIProblem(code: 1009, details: "shards must be one of 1, 2, 4, 8, 16, 32"))
            }
        }
        let pin = self.pin(object, &problems)
        let cert = string(object, "cert", required: false, &problems)
        if let cert, cert.isEmpty { problems.append(APIProblem(code: 1009, details: "cert must not be empty")) }
        guard problems.isEmpty, let cc, let phoneNumber, let shards else { return .failure(ValidationFailure(problems)) }
        return .success(ShardCountRequest(cc: cc, phoneNumber: phoneNumber, shards: shards, pin: pin, cert: cert))
    }

    /// `POST /v1/settings/account/two-step`: `{"pin"}`, 6 digits.
    public static func validateTwoStep(_ body: JSONValue) -> Result<String, ValidationFailure> {
        guard case .object(let object) = body else { return .failure(notAnObject) }
        var problems: [APIProblem] = []
        guard let pin = string(object, "pin", required: true, &problems) else { return .failure(ValidationFailure(problems)) }
        guard isPIN(pin) else { return .failure(ValidationFailure([APIProblem(code: 1009, details: "pin must be 6 digits")])) }
        return .success(pin)
    }

    private static let notAnObject = ValidationFailure([APIProblem(code: 1009, details: "request body must be a JSON object")])

    private static func number(_ object: JSONObject, _ problems: inout [APIProblem]) -> (String?, String?) {
        let cc = string(object, "cc", required: true, &problems)
        let phoneNumber = string(object, "phone_number", required: true, &problems)
        if let cc, !isCountryCode(cc) { problems.append(APIProblem(code: 1009, details: "cc must be 1 to 3 digits")) }
        if let phoneNumber, !isDigits(phoneNumber) || !(4...14).contains(phoneNumber.utf8.count) {
            problems.append(APIProblem(code: 1009, details: "phone_number must be 4 to 14 digits"))
        } else if let cc, let phoneNumber, isCountryCode(cc), !isPhoneNumber(phoneNumber, cc: cc) {
            problems.append(APIProblem(code: 1009, details: "cc and phone_number together must be at most 15 digits"))
        }
        return (cc, phoneNumber)
    }

    private static func pin(_ object: JSONObject, _ problems: inout [APIProblem]) -> String? {
        let pin = string(object, "pin", required: false, &problems)
        if let pin, !isPIN(pin) { problems.append(APIProblem(code: 1009, details: "pin must be 6 digits")) }
        return pin
    }

    private static func string(
        _ object: JSONObject, _ key: String, required: Bool, _ problems: inout [APIProblem]
    ) -> String? {
        switch object[key] {
        case nil, .null?:
            if required { problems.append(APIProblem(code: 1008, details: "\(key) is required")) }
            return nil
        case .string(let text)?:
            return text
        case let other?:
            problems.append(APIProblem(code: 1009, details: "\(key) must be a string, not \(other.typeName)"))
            return nil
        }
    }
}
