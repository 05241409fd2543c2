/// Validation of the stored settings of api.md §9.2–§9.3, every problem found in one pass.
public enum SettingsSections {
    /// `POST /v1/settings/application/media/providers`: an array of `{name, type: "www", config}` (a single
    /// object is taken as an array of one). Config is `{"bearer"}` or `{"basic": {"username", "password"}}`.
    public static func providers(_ body: JSONValue) -> Result<[JSONObject], ValidationFailure> {
        var problems: [APIProblem] = []
        let items: [JSONValue]
        switch body {
        case .array(let array): items = array
        case .object: items = [body]
        default: return .failure(ValidationFailure([APIProblem(code: 1009, details: "body must be an array of media providers")]))
        }
        if items.isEmpty { problems.append(APIProblem(code: 1008, details: "at least one media provider is required")) }
        var providers: [JSONObject] = []
        var names: Set<String> = []
        for (index, item) in items.enumerated() {
            let path = "providers[\(index)]"
            guard let object = item.objectValue else {
                problems.append(APIProblem(code: 1009, details: "\(path) must be an object"))
                continue
            }
            for key in object.keys where !["name", "type", "config"].contains(key) {
                problems.append(APIProblem(code: 1010, details: "\(path).\(key) is not a media provider field"))
            }
            let name = requiredString(object["name"], at: "\(path).name", length: 1...64, into: &problems)
            if let name, !names.insert(name).inserted { problems.append(APIProblem(code: 1009, details: "\(path).name \(name) appears twice")) }
            if let type = requiredString(object["type"], at: "\(path).type", length: 1...64, into: &problems), type != "www" {
                problems.append(APIProblem(code: 1009, details: "\(path).type must be www"))
            }
            var config = JSONObject()
            if let given = object["config"] {
                if let bearer = given["bearer"] {
                    if let token = requiredString(bearer, at: "\(path).config.bearer", length: 1...4096, into: &problems) {
                        config["bearer"] = .string(token)
                    }
                } else if let basic = given["basic"] {
                    let username = requiredString(basic["username"], at: "\(path).config.basic.username", length: 1...256, into: &problems)
                    let password = requiredString(basic["password"], at: "\(path).config.basic.password", length: 1...256, into: &problems)
                    if let username, let password { config["basic"] = ["username": .string(username), "password": .string(password)] }
                } else {
                    problems.append(APIProblem(code: 1009, details: "\(path).config must have bearer or basic"))
                }
            } else {
                problems.append(APIProblem(code: 1008, details: "\(path).config is required"))
            }
            if let name { providers.append(["name": .string(name), "type": "www", "config": .object(config)]) }
        }
        return problems.isEmpty ? .success(providers) : .failure(ValidationFailure(problems))
    }

    /// The providers as GET shows them: credentials replaced by `***` (api.md §9.2).
    public static func maskedProviders(_ section: JSONValue) -> JSONValue {
        guard var object = section.objectValue, let providers = object["providers"]?.arrayValue else { return section }
        object["providers"] = .array(providers.map { provider in
            guard var item = provider.objectValue, var config = item["config"]?.objectValue else { return provider }
            if config["bearer"] != nil { config["bearer"] = "***" }
            if var basic = config["basic"]?.objectValue {
                basic["password"] = "***"
                config["basic"] = .object(basic)
            }
            item["config"] = .object(config)
            return .object(item)
        })
        return .object(object)
    }

    /// `PATCH /v1/settings/profile/about`: `{"text"}` of 1–139 characters.
    public static func about(_ body: JSONValue) -> Result<JSONObject, ValidationFailure> {
        var problems: [APIProblem] = []
        guard let object = body.objectValue else { return .failure(ValidationFailure([APIProblem(code: 1009, details: "body must be an object")])) }
        for key in object.keys where key != "text" { problems.append(APIProblem(code: 1010, details: "\(key) is not a field of about")) }
        let text = requiredString(object["text"], at: "text", length: 1...139, into: &problems)
        guard problems.isEmpty, let text else { return .failure(ValidationFailure(problems)) }
        return .success(["text": .string(text)])
    }

    /// `POST /v1/settings/business/profile`: the fields given (merged into the stored profile).
    public static func businessProfile(_ body: JSONValue) -> Result<JSONObject, ValidationFailure> {
        var problems: [APIProblem] = []
        guard let object = body.objectValue else { return .failure(ValidationFailure([APIProblem(code: 1009, details: "body must be an object")])) }
        var profile = JSONObject()
        let limits = ["address": 256, "description": 256, "email": 128, "vertical": 128]
        for member in object.members {
            if let limit = limits[member.key] {
                if let text = requiredString(member.value, at: member.key, length: 0...limit, into: &problems) { profile[member.key] = .string(text) }
            } else if member.key == "websites" {
                guard let sites = member.value.arrayValue else {
                    problems.append(APIProblem(code: 1009, details: "websites must be an array of URLs"))
                    continue
                }
                if sites.count > 2 { problems.append(APIProblem(code: 1009, details: "websites holds at most 2 URLs")) }
                var kept: [JSONValue] = []
                for (index, site) in sites.enumerated() {
                    guard let url = requiredString(site, at: "websites[\(index)]", length: 1...2048, into: &problems) else { continue }
                    if SendValidation.isHTTPURL(url) { kept.append(.string(url)) } else {
                        problems.append(APIProblem(code: 1009, details: "websites[\(index)] must be an http or https URL"))
                    }
                }
                profile["websites"] = .array(kept)
            } else {
                problems.append(APIProblem(code: 1010, details: "\(member.key) is not a business profile field"))
            }
        }
        return problems.isEmpty ? .success(profile) : .failure(ValidationFailure(problems))
    }

    /// `POST /v1/settings/business/compliance_info`: any JSON object of at most 16 KB, stored as given.
    public static func complianceInfo(_ body: JSONValue) -> Result<JSONValue, ValidationFailure> {
        guard body.objectValue != nil else { return .failure(ValidationFailure([APIProblem(code: 1009, details: "body must be a JSON object")])) }
        guard body.serialized().count <= 16 * 1024 else {
            return .failure(ValidationFailure([APIProblem(code: 1009, details: "compliance_info is limited to 16 KB")]))
        }
        return .success(body)
    }

    static func requiredString(_ value: JSONValue?, at path: String, length: ClosedRange<Int>, into problems: inout [APIProblem]) -> String? {
        guard let value, value != .null else {
            problems.append(APIProblem(code: 1008, details: "\(path) is required"))
            return nil
        }
        guard case .string(let text) = value else {
            problems.append(APIProblem(code: 1009, details: "\(path) must be a string, not \(value.typeName)"))
            return nil
        }
        guard length.contains(text.count) else {
            problems.append(APIProblem(code: 1009, details: "\(path) must be \(length.lowerBound)–\(length.upperBound) characters"))
            return nil
        }
        return text
    }
}
