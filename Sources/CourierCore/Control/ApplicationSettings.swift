/// `/v1/settings/application` (api.md §9.1): the defaults, PATCH validation and JSON merge patch (RFC 7396).
///
/// Pure. The control stream stores only overrides (a sparse object); what GET shows is the defaults merged with
/// them, so a new field's default appears without an event, and a `null` in a PATCH returns a field to its default.
public enum ApplicationSettings {
    /// The six inbound media kinds `media.auto_download` may list.
    public static let mediaKinds = ["image", "video", "voice", "sticker", "audio", "document"]
    public static let maximumURLLength = 2048

    /// Every field with its default, in the order GET shows them.
    public static let defaults: JSONObject = [
        "webhooks": [
            "url": "",
            "max_concurrent_requests": 6,
            "message": ["sent": true, "delivered": true, "read": true],
            "max_batch_size": 1,
        ],
        "sent_status": true,
        "callback_persist": true,
        "callback_backoff_delay_ms": 3000,
        "max_callback_backoff_delay_ms": 900_000,
        "db_garbagecollector_enable": false,
        "pass_through": false,
        "media": ["auto_download": .array(mediaKinds.map { .string($0) })],
        "notify_user_change_number": true,
        "show_security_notifications": true,
        "webhook_payload_conversation_pricingmodel_disabled": false,
        "heartbeat_interval": 5,
        "unhealthy_interval": 30,
        "skip_referral_media_download": false,
        "axolotl_context_striping_disabled": false,
        "wa_id": "",
    ]

    /// The settings GET shows: the defaults with `overrides` merged in.
    public static func effective(_ overrides: JSONObject) -> JSONObject {
        mergePatch(defaults, overrides)
    }

    /// What `DELETE` leaves of the overrides: every field back to its default but `wa_id`.
    public static func resetOverrides(_ overrides: JSONObject) -> JSONObject {
        var kept = JSONObject()
        if let waID = overrides["wa_id"] { kept["wa_id"] = waID }
        return kept
    }

    /// RFC 7396: `null` removes a member, objects merge recursively, anything else replaces. Existing members
    /// keep their position; new ones are appended.
    public static func mergePatch(_ target: JSONObject, _ patch: JSONObject) -> JSONObject {
        var result = target
        for (key, value) in patch.members {
            let index = result.members.firstIndex { $0.key == key }
            if value == .null {
                if let index { result.members.remove(at: index) }
                continue
            }
            var merged = value
            if case .object(let inner) = value {
                let existing = index.flatMap { result.members[$0].value.objectValue } ?? JSONObject()
                merged = .object(mergePatch(existing, inner))
            }
            if let index { result.members[index].value = merged } else { result.members.append((key: key, value: merged)) }
        }
        return result
    }

    /// Checks a PATCH body against api.md §9.1 and the current overrides, as a whole: every problem in one pass
    /// (at most 10). Returns the merge patch to log: values in their canonical types (§1.5 lenient strings
    /// converted), `sent_status` and `webhooks.message.sent` written together, an unchanged `wa_id` dropped.
    public static func validatePatch(_ patch: JSONObject, overrides: JSONObject) throws(ValidationFailure) -> JSONObject {
        var problems: [APIProblem] = []
        let current = effective(overrides)
        var normalized = check(patch, schema: defaults, path: "", current: current, problems: &problems)
        // Legacy alias: writing either sets both (a null on either resets both).
        let alias = normalized["sent_status"]
        let nested = normalized["webhooks"]?["message"]?["sent"]
        if let alias, let nested, alias != nested {
            problems.append(APIProblem(code: 1009, details: "sent_status and webhooks.message.sent disagree"))
        } else if let value = alias ?? nested {
            set(&normalized, "sent_status", value)
            var webhooks = normalized["webhooks"]?.objectValue ?? JSONObject()
            var message = webhooks["message"]?.objectValue ?? JSONObject()
            set(&message, "sent", value)
            set(&webhooks, "message", .object(message))
            set(&normalized, "webhooks", .object(webhooks))
        }
        if problems.isEmpty {
            let result = effective(mergePatch(overrides, normalized))
            let backoff = result["callback_backoff_delay_ms"].flatMap(LenientValue.integer) ?? 0
            let cap = result["max_callback_backoff_delay_ms"].flatMap(LenientValue.integer) ?? 0
            if backoff > cap {
                problems.append(
                    APIProblem(
                        code: 1009,
                        details: "callback_backoff_delay_ms (\(backoff)) must not exceed max_callback_backoff_delay_ms (\(cap))"
                    )
                )
            }
            let heartbeat = result["heartbeat_interval"].flatMap(LenientValue.integer) ?? 0
            let unhealthy = result["unhealthy_interval"].flatMap(LenientValue.integer) ?? 0
            if unhealthy <= heartbeat {
                problems.append(
                    APIProblem(
                        code: 1009,
                        details: "unhealthy_interval (\(unhealthy)) must be greater than heartbeat_interval (\(heartbeat))"
                    )
                )
            }
        }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        return normalized
    }

    /// Sets `key` keeping its position when present (a null stays a member: it is a patch).
    private static func set(_ object: inout JSONObject, _ key: String, _ value: JSONValue) {
        if let index = object.members.firstIndex(where: { $0.key == key }) {
            object.members[index].value = value
        } else {
            object.members.append((key: key, value: value))
        }
    }

    /// Checks the members of `patch` against the defaults' shape at `path`; returns them normalized.
    private static func check(
        _ patch: JSONObject,
        schema: JSONObject,
        path: String,
        current: JSONObject,
        problems: inout [APIProblem]
    ) -> JSONObject {
        var normalized = JSONObject()
        for (key, value) in patch.members {
            let fieldPath = path.isEmpty ? key : "\(path).\(key)"
            guard let template = schema[key] else {
                problems.append(APIProblem(code: 1010, details: "\(fieldPath) is not an application setting"))
                continue
            }
            if fieldPath == "wa_id" {
                // Read-only: set by registration.
                if value != current["wa_id"] {
                    problems.append(APIProblem(code: 1009, details: "wa_id is read-only"))
                }
                continue
            }
            if value == .null {
                normalized[key] = .null  // back to the default
                continue
            }
            if case .object(let inner) = template {
                guard case .object(let given) = value else {
                    problems.append(APIProblem(code: 1009, details: "\(fieldPath) must be an object, not a \(value.typeName)"))
                    continue
                }
                let checked = check(
                    given,
                    schema: inner,
                    path: fieldPath,
                    current: current[key]?.objectValue ?? JSONObject(),
                    problems: &problems
                )
                if !checked.members.isEmpty { normalized[key] = .object(checked) }
                continue
            }
            if let canonical = checkField(fieldPath, value, template: template, problems: &problems) {
                normalized[key] = canonical
            }
        }
        return normalized
    }

    /// One leaf field: its canonical value, or nil after recording the problem.
    private static func checkField(
        _ path: String,
        _ value: JSONValue,
        template: JSONValue,
        problems: inout [APIProblem]
    ) -> JSONValue? {
        func fail(_ details: String) -> JSONValue? {
            problems.append(APIProblem(code: 1009, details: details))
            return nil
        }
        switch template {
        case .bool:
            guard let flag = LenientValue.bool(value) else { return fail("\(path) must be a boolean") }
            if path == "pass_through" && flag { return fail("pass_through cannot be enabled") }
            return .bool(flag)
        case .integer:
            guard let number = LenientValue.integer(value) else { return fail("\(path) must be an integer") }
            let range = integerRange(path)
            guard range.contains(number) else {
                return fail("\(path) must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return .integer(number)
        case .string:
            guard let text = value.stringValue else { return fail("\(path) must be a string, not a \(value.typeName)") }
            if path == "webhooks.url", let problem = urlProblem(text) { return fail(problem) }
            return .string(text)
        case .array:
            guard let items = value.arrayValue else { return fail("\(path) must be an array, not a \(value.typeName)") }
            var kinds: [JSONValue] = []
            for (index, item) in items.enumerated() {
                guard let kind = item.stringValue, mediaKinds.contains(kind) else {
                    return fail("\(path)[\(index)] must be one of \(mediaKinds.joined(separator: ", "))")
                }
                if !kinds.contains(item) { kinds.append(item) }
            }
            return .array(kinds)
        default:
            return fail("\(path) is not valid")
        }
    }

    private static func integerRange(_ path: String) -> ClosedRange<Int64> {
        switch path {
        case "webhooks.max_concurrent_requests", "webhooks.max_batch_size": 1...100
        case "callback_backoff_delay_ms", "max_callback_backoff_delay_ms": 100...86_400_000
        case "heartbeat_interval": 1...3600
        case "unhealthy_interval": 3...3600
        default: Int64.min...Int64.max
        }
    }

    /// `""` (no webhooks) or an `http`/`https` URL with a host, at most 2048 characters.
    static func urlProblem(_ url: String) -> String? {
        if url.isEmpty { return nil }
        if url.unicodeScalars.count > maximumURLLength {
            return "webhooks.url must be at most \(maximumURLLength) characters"
        }
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            rest = url.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            rest = url.dropFirst(7)
        } else {
            return "webhooks.url must be an http or https URL"
        }
        if url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return "webhooks.url must not contain spaces or control characters"
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        if host.isEmpty || host.hasPrefix(":") { return "webhooks.url must name a host" }
        return nil
    }
}
