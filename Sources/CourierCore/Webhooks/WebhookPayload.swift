/// The callback bodies of webhooks.md §2–§3: the flat shape, top-level `contacts`/`messages` or `statuses`.
public enum WebhookPayload {
    public static func body(_ batch: WebhookBatch, settings: WebhookSettings) -> JSONValue {
        var contacts: [JSONValue] = []
        var seenContacts: Set<String> = []
        var messages: [JSONValue] = []
        var statuses: [JSONValue] = []
        var services: [JSONValue] = []
        for entry in batch.entries {
            switch entry.item {
            case .inbound(let receipt):
                if receipt.type != "system", seenContacts.insert(receipt.from).inserted {
                    contacts.append(["profile": ["name": .string(receipt.profileName)], "wa_id": .string(receipt.from)])
                }
                messages.append(message(receipt, autoDownload: settings.autoDownload))
            case .status(let status):
                statuses.append(self.status(status, settings: settings))
            case .service(let document):
                services.append((try? JSONParser.parse(document)) ?? .object(JSONObject()))
            }
        }
        if batch.lane == .service { return ["services": .array(services)] }
        if batch.isInbound {
            var object = JSONObject()
            if !contacts.isEmpty { object["contacts"] = .array(contacts) }
            object["messages"] = .array(messages)
            return .object(object)
        }
        return ["statuses": .array(statuses)]
    }

    /// Unix seconds as a string, as the original sends them.
    static func seconds(_ timestamp: Timestamp) -> JSONValue {
        .string(String(timestamp.microseconds / 1_000_000))
    }

    static func message(_ receipt: ReceiptEvent, autoDownload: Set<String> = []) -> JSONValue {
        var object: JSONObject = [
            "from": .string(receipt.from), "id": .string(receipt.messageID),
            "timestamp": seconds(receipt.networkTimestamp), "type": .string(receipt.type),
        ]
        if let id = receipt.contextID {
            object["context"] = ["from": .string(receipt.contextFrom ?? ""), "id": .string(id)]
        }
        if receipt.type == "unknown" {
            object["errors"] = [["code": 501, "title": "Message type is not currently supported"]]
        } else if !receipt.content.isEmpty {
            var content = (try? JSONParser.parse(receipt.content)) ?? .null  // logged as validated JSON
            // `file` only for the kinds in `media.auto_download` (webhooks.md §2).
            if case .object(var media) = content, media["file"] != nil, !autoDownload.contains(receipt.type) {
                media["file"] = nil
                content = .object(media)
            }
            object[receipt.type] = content
        }
        return .object(object)
    }

    static func status(_ status: StatusEvent, settings: WebhookSettings) -> JSONValue {
        var object: JSONObject = [
            "id": .string(status.messageID), "recipient_id": .string(status.waID),
            "status": .string(status.status.rawValue), "timestamp": seconds(status.networkTimestamp),
        ]
        switch status.status {
        case .sent, .delivered, .read:
            // The network's values, as logged (webhooks.md §3); absent when it gave none.
            if !settings.conversationPricingDisabled {
                if !status.conversation.isEmpty { object["conversation"] = (try? JSONParser.parse(status.conversation)) ?? .null }  // logged as validated JSON
                if !status.pricing.isEmpty { object["pricing"] = (try? JSONParser.parse(status.pricing)) ?? .null }  // likewise
            }
        case .failed, .deleted, .accepted:
            if !status.errors.isEmpty { object["errors"] = (try? JSONParser.parse(status.errors)) ?? .null }  // logged as validated JSON
        }
        return .object(object)
    }
}
