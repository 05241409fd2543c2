extension Event {
    /// `courier log dump` summary of the maintenance kinds (`gc`, `rotation`, `snapshot`); no secrets here.
    var maintenanceSummary: String {
        switch self {
        case .gc(let event):
            switch event.phase {
            case .begin: "begin run=\(event.runID) retention=\(event.retentionMicroseconds / 86_400_000_000)d limit=\(event.stepLimit)"
            case .step: "step run=\(event.runID) cutoff=\(event.cutoff) limit=\(event.stepLimit)"
            case .end: "end run=\(event.runID) \(event.outcome) deleted=\(event.messagesDeleted) snapshot@\(event.snapshotSeq)"
            case .result: "result run=\(event.runID) \(event.outcome) deleted=\(event.messagesDeleted)"
            }
        case .rotation(let event):
            "\(event.action.rawValue) segment=\(String(event.segmentID).leftPadded(to: 12)) seq=\(event.firstSeq)..\(event.lastSeq)"
        case .snapshot(let event):
            "id=\(event.snapshotID) seq=\(event.coveredSeq) v\(event.formatVersion) \(event.bytes)B"
        default:
            ""
        }
    }

    /// `courier log dump --json` payload of the maintenance kinds.
    var maintenanceJSON: JSONValue {
        switch self {
        case .gc(let event):
            [
                "phase": .string(event.phase.rawValue), "run_id": .string(event.runID),
                "cutoff": .string(event.cutoff.description),
                "retention_s": .integer(event.retentionMicroseconds / 1_000_000),
                "step_limit": .integer(Int64(event.stepLimit)),
                "messages_deleted": .integer(Int64(event.messagesDeleted)),
                "snapshot_seq": .integer(Int64(event.snapshotSeq)), "outcome": .string(event.outcome),
                "document": event.document.isEmpty ? .null : ((try? JSONParser.parse(event.document)) ?? .null),
            ]
        case .rotation(let event):
            [
                "segment": .string(String(event.segmentID).leftPadded(to: 12)), "action": .string(event.action.rawValue),
                "first_seq": .integer(Int64(event.firstSeq)), "last_seq": .integer(Int64(event.lastSeq)),
            ]
        case .snapshot(let event):
            [
                "snapshot_id": .string(event.snapshotID), "covered_seq": .integer(Int64(event.coveredSeq)),
                "format": .integer(Int64(event.formatVersion)), "bytes": .integer(Int64(event.bytes)),
                "checksum": .string("crc32c:" + String(event.checksum, radix: 16).leftPadded(to: 8)),
            ]
        default:
            .null
        }
    }
}
