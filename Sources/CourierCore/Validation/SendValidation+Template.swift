extension SendValidation {
    static let templateComponentTypes = ["header", "body", "button"]
    static let templateButtonSubTypes = ["quick_reply", "url"]
    static let templateParameterTypes = ["text", "currency", "date_time", "image", "document", "video", "payload"]

    /// api.md §1.5: `parameters` given as one object is a one-element array. The stored content carries
    /// the array, so nothing downstream needs to know about the leniency. Key order is kept.
    static func normalizedTemplate(_ value: JSONValue) -> JSONValue {
        guard case .object(var template) = value else { return value }
        template.members = template.members.map { member in
            guard member.key == "components", case .array(let components) = member.value else { return member }
            return (key: member.key, value: .array(components.map(normalizedComponent)))
        }
        return .object(template)
    }

    private static func normalizedComponent(_ value: JSONValue) -> JSONValue {
        guard case .object(var component) = value else { return value }
        component.members = component.members.map { member in
            guard member.key == "parameters", case .object = member.value else { return member }
            return (key: member.key, value: .array([member.value]))
        }
        return .object(component)
    }

    /// `en`, `fil`, `en_US`, `pt_BR`: the shape of every language code WhatsApp templates use. An
    /// unknown but well-formed code fails later, as an unknown template does (api.md §6.1).
    static func isLanguageCode(_ code: String) -> Bool {
        let parts = code.split(separator: "_", omittingEmptySubsequences: false)
        let isLower = { (part: Substring) in
            part.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        }
        let isUpper = { (part: Substring) in
            part.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
        }
        guard (1...2).contains(parts.count), (2...3).contains(parts[0].utf8.count), isLower(parts[0]) else {
            return false
        }
        return parts.count == 1 || (parts[1].utf8.count == 2 && isUpper(parts[1]))
    }
}

extension SendValidation.Checker {
    /// `{namespace, name, language: {policy, code}, components?}` (api.md §6.1), after normalization.
    mutating func template(_ value: JSONValue?, at path: String) {
        guard let template = object(value, at: path) else { return }
        switch template["namespace"] {
        case nil, .null?, .string("")?: report(2014, "\(path).namespace is required and must not be empty")
        case .string?: break
        case let other?: report(1009, "\(path).namespace must be a string, not \(other.typeName)")
        }
        _ = string(template["name"], at: "\(path).name")
        if let language = object(template["language"], at: "\(path).language") {
            // Optional: `deterministic` is the only behaviour, and newer clients leave it out.
            _ = oneOf(
                language["policy"],
                at: "\(path).language.policy",
                in: ["deterministic", "fallback"],
                required: false
            )
            if let code = string(language["code"], at: "\(path).language.code"), !SendValidation.isLanguageCode(code) {
                report(1009, "\(path).language.code must be a language code such as en or en_US")
            }
        }
        guard let components = array(template["components"], at: "\(path).components", required: false) else { return }
        for (index, component) in components.enumerated() {
            self.component(component, at: "\(path).components[\(index)]")
        }
    }

    private mutating func component(_ value: JSONValue, at path: String) {
        guard let component = object(value, at: path) else { return }
        let type = oneOf(component["type"], at: "\(path).type", in: SendValidation.templateComponentTypes)
        if type == "button" {
            _ = oneOf(component["sub_type"], at: "\(path).sub_type", in: SendValidation.templateButtonSubTypes)
            _ = integer(component["index"], at: "\(path).index", in: 0...9)
        }
        guard let parameters = array(component["parameters"], at: "\(path).parameters", required: false) else { return }
        for (index, parameter) in parameters.enumerated() {
            self.parameter(parameter, at: "\(path).parameters[\(index)]")
        }
    }

    private mutating func parameter(_ value: JSONValue, at path: String) {
        guard let parameter = object(value, at: path),
            let type = oneOf(parameter["type"], at: "\(path).type", in: SendValidation.templateParameterTypes)
        else { return }
        switch type {
        case "text": _ = string(parameter["text"], at: "\(path).text", length: 1...1024, tooLongCode: 2004)
        case "currency": currency(parameter["currency"], at: "\(path).currency")
        case "date_time":
            if let dateTime = object(parameter["date_time"], at: "\(path).date_time") {
                _ = string(dateTime["fallback_value"], at: "\(path).date_time.fallback_value")
            }
        case "payload": _ = string(parameter["payload"], at: "\(path).payload")
        default: media(parameter[type], kind: type, at: "\(path).\(type)")
        }
    }

    /// `{fallback_value, code, amount_1000}`: an ISO 4217 code and the amount times 1000.
    private mutating func currency(_ value: JSONValue?, at path: String) {
        guard let currency = object(value, at: path) else { return }
        _ = string(currency["fallback_value"], at: "\(path).fallback_value")
        if let code = string(currency["code"], at: "\(path).code", length: 0...Int.max),
            code.utf8.count != 3 || !code.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
        {
            report(1009, "\(path).code must be an ISO 4217 currency code such as USD")
        }
        _ = integer(currency["amount_1000"], at: "\(path).amount_1000", in: Int64.min...Int64.max)
    }
}
