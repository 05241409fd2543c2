extension Event {
    /// One-line summary for `courier log dump` (never a message body).
    public var summary: String {
        switch self {
        case .send(let event):
            "id=\(abbreviated(event.messageID)) to=\(event.to) type=\(event.type)"
        case .status(let event):
            "id=\(abbreviated(event.messageID)) \(event.status.rawValue)"
        case .markRead(let event):
            "id=\(abbreviated(event.messageID))"
        case .receipt, .webhookDelivered, .webhookDropped:
            webhookSummary
        case .shardChange(let event):
            "\(event.action.rawValue) shard=\(event.shard) shards=\(event.shardCount) owner=\(event.ownerNodeKey) epoch=\(event.epoch)"
                + event.reshardSummary
        case .settingsChange(let event):
            "section=\(event.section)" + (event.reset ? " reset" : "")
                + " fields=\(event.parsedValue.objectValue?.keys.joined(separator: ",") ?? "-")"
        case .accountChange(let event):
            "\(event.action.rawValue) number=\(event.waID)" + (event.method.isEmpty ? "" : " method=\(event.method)")
                + (event.vname.isEmpty ? "" : " vname=\(event.vname)") + (event.pinHash == nil ? "" : " pin=***")
        case .userChange(let event):
            "\(event.action.rawValue) user=\(event.username)" + (event.passwordHash.isEmpty ? "" : " password=***")
                + (event.passwordChangeRequired ? " change-required" : "")
                + (event.keptTokenDigest.map { " kept=\(abbreviated($0))" } ?? "")
        case .token(let event):
            "\(event.action.rawValue) token=\(abbreviated(event.tokenDigest)) user=\(event.username) expires=\(event.expiresAt)"
        case .gc, .rotation, .snapshot:
            maintenanceSummary
        }
    }

    /// The payload as JSON for `courier log dump --json`.
    public var json: JSONValue {
        switch self {
        case .send(let event):
            var object: JSONObject = ["id": .string(event.messageID), "to": .string(event.to), "type": .string(event.type)]
            object[event.type] = (try? JSONParser.parse(event.content)) ?? .string("<undecodable content>")  // content was validated JSON when logged
            if let key = event.idempotencyKey { object["idempotency_key"] = .string(key) }
            if !event.mediaIDs.isEmpty { object["media_ids"] = .array(event.mediaIDs.map { .string($0) }) }
            return .object(object)
        case .status(let event):
            var object: JSONObject = [
                "id": .string(event.messageID), "recipient_id": .string(event.waID),
                "status": .string(event.status.rawValue), "timestamp": .string(event.networkTimestamp.description),
            ]
            if !event.errors.isEmpty { object["errors"] = (try? JSONParser.parse(event.errors)) ?? .null }  // stored as validated JSON
            if !event.conversation.isEmpty { object["conversation"] = (try? JSONParser.parse(event.conversation)) ?? .null }  // likewise
            if !event.pricing.isEmpty { object["pricing"] = (try? JSONParser.parse(event.pricing)) ?? .null }  // likewise
            return .object(object)
        case .markRead(let event):
            return ["id": .string(event.messageID)]
        case .receipt, .webhookDelivered, .webhookDropped:
            return webhookJSON
        case .shardChange(let event):
            var object: JSONObject = [
                "action": .string(event.action.rawValue), "shard_count": .integer(Int64(event.shardCount)),
                "shard": .integer(Int64(event.shard)), "owner": .string(event.ownerNodeKey),
                "epoch": .integer(Int64(event.epoch)), "boundary_seq": .integer(Int64(event.boundarySeq)),
            ]
            if let parent = event.parentShard { object["parent_shard"] = .integer(Int64(parent)) }
            for (key, value) in event.reshardJSON.members { object[key] = value }
            return .object(object)
        case .settingsChange(let event):
            // Media-provider credentials print as *** (eventlog.md §2, §8).
            var value = event.section == SettingsChangeEvent.mediaProvidersSection
                ? SettingsSections.maskedProviders(event.parsedValue) : event.parsedValue
            if event.section == SettingsChangeEvent.externalCertificateSection, var object = value.objectValue, object["key_pem"] != nil {
                object["key_pem"] = "***"  // the certificate's private key
                value = .object(object)
            }
            return ["section": .string(event.section), "reset": .bool(event.reset), "value": value]
        case .accountChange(let event):
            // The PIN prints as *** even as a hash (eventlog.md §8); the code is never logged at all.
            var object: JSONObject = [
                "action": .string(event.action.rawValue), "cc": .string(event.cc),
                "phone_number": .string(event.phoneNumber),
            ]
            if !event.method.isEmpty { object["method"] = .string(event.method) }
            if !event.vname.isEmpty { object["vname"] = .string(event.vname) }
            if event.pinHash != nil { object["pin_hash"] = "***" }
            return .object(object)
        case .userChange(let event):
            // Secret fields print as *** (eventlog.md §8), even as a hash.
            var object: JSONObject = [
                "action": .string(event.action.rawValue), "username": .string(event.username),
                "password_hash": event.passwordHash.isEmpty ? .null : "***",
                "password_change_required": .bool(event.passwordChangeRequired),
            ]
            if let kept = event.keptTokenDigest { object["kept_token_sha256"] = .string(abbreviated(kept)) }
            return .object(object)
        case .token(let event):
            return [
                "action": .string(event.action.rawValue), "token_sha256": .string(abbreviated(event.tokenDigest)),
                "username": .string(event.username), "expires_at": .string(event.expiresAt.description),
            ]
        case .gc, .rotation, .snapshot:
            return maintenanceJSON
        }
    }

    /// The message id this event concerns, for `dump --message-id`.
    public var messageID: String? {
        switch self {
        case .send(let event): event.messageID
        case .status(let event): event.messageID
        case .markRead(let event): event.messageID
        case .receipt(let event): event.messageID
        case .webhookDelivered, .webhookDropped: nil
        case .shardChange, .settingsChange, .accountChange, .userChange, .token, .gc, .rotation, .snapshot: nil
        }
    }

    /// The `wa_id` this event concerns, for `dump --wa-id`.
    public var waID: String? {
        switch self {
        case .send(let event): event.to
        case .status(let event): event.waID
        case .receipt(let event): event.from
        case .markRead, .webhookDelivered, .webhookDropped, .shardChange, .settingsChange, .accountChange, .userChange, .token, .gc, .rotation, .snapshot: nil
        }
    }
}

func abbreviated(_ id: String) -> String {
    id.count > 8 ? String(id.prefix(8)) + "…" : id
}
