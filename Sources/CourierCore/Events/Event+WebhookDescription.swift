extension Event {
    /// `courier log dump` line for the inbound and callback kinds (never a message body).
    var webhookSummary: String {
        switch self {
        case .receipt(let event):
            "id=\(abbreviated(event.messageID)) from=\(event.from) type=\(event.type)"
        case .webhookDelivered(let event):
            "seqs=\(event.positions.description) attempts=\(event.attempts) http=\(event.httpStatus)"
                + " latency=\(event.latencyMicroseconds / 1000)ms"
        case .webhookDropped(let event):
            "seqs=\(event.positions.description) count=\(event.positions.count) reason=\(event.reason)"
        default:
            ""
        }
    }

    /// `courier log dump --json` payload for the inbound and callback kinds.
    var webhookJSON: JSONValue {
        switch self {
        case .receipt(let event):
            var object: JSONObject = [
                "id": .string(event.messageID), "from": .string(event.from), "type": .string(event.type),
                "timestamp": .string(event.networkTimestamp.description),
            ]
            if !event.content.isEmpty {
                object[event.type] = (try? JSONParser.parse(event.content)) ?? .string("<undecodable content>")  // stored as validated JSON
            }
            if !event.profileName.isEmpty { object["profile_name"] = .string(event.profileName) }
            if !event.mediaIDs.isEmpty { object["media_ids"] = .array(event.mediaIDs.map { .string($0) }) }
            if let id = event.contextID {
                object["context"] = ["from": .string(event.contextFrom ?? ""), "id": .string(id)]
            }
            return .object(object)
        case .webhookDelivered(let event):
            return [
                "positions": .string(event.positions.description), "attempts": .integer(Int64(event.attempts)),
                "http_status": .integer(Int64(event.httpStatus)), "latency_us": .integer(event.latencyMicroseconds),
            ]
        case .webhookDropped(let event):
            return [
                "positions": .string(event.positions.description), "count": .integer(Int64(event.positions.count)),
                "reason": .string(event.reason),
            ]
        default:
            return .null
        }
    }
}
