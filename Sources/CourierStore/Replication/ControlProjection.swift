import CourierCore

/// Keeps the `users` and `settings` tables in step with replicated control-stream events, in the
/// shipping transaction. Query-friendly copies only: passwords and tokens are never projected.
enum ControlProjection {
    static func apply(_ records: [Record], connection: PGConnection) throws {
        for record in records where record.shard == Record.controlShard {
            switch try? Event.decode(record) {  // a payload this build cannot decode projects nothing
            case .userChange(let change)?:
                try project(change, at: record.timestamp, connection: connection)
            case .settingsChange(let change)?:
                try project(change, at: record.timestamp, connection: connection)
            default:
                break
            }
        }
    }

    private static func project(_ change: UserChangeEvent, at time: Timestamp, connection: PGConnection) throws {
        switch change.action {
        case .deleted:
            try connection.execute("DELETE FROM users WHERE username = $1", [change.username])
        case .created, .passwordChanged:
            try connection.execute(
                """
                INSERT INTO users (username, role, updated_us) VALUES ($1, $2, $3)
                ON CONFLICT (username) DO UPDATE SET updated_us = EXCLUDED.updated_us
                """,
                [change.username, UserRole(username: change.username).rawValue, String(time.microseconds)])
        }
    }

    /// The stored value is the section's overrides, folded with the same merge patch ControlState uses.
    private static func project(_ change: SettingsChangeEvent, at time: Timestamp, connection: PGConnection) throws {
        var current = JSONObject()
        if !change.reset,
            let text = try connection.execute("SELECT value::text FROM settings WHERE section = $1", [change.section]).rows.first?[0],
            case .object(let stored)? = try? JSONParser.parse(Array(text.utf8))  // a damaged row is rebuilt from the patch
        {
            current = stored
        }
        let patch = change.parsedValue.objectValue ?? JSONObject()
        let value = JSONValue.object(ApplicationSettings.mergePatch(current, patch)).serializedString
        try connection.execute(
            """
            INSERT INTO settings (section, value, updated_us) VALUES ($1, $2::jsonb, $3)
            ON CONFLICT (section) DO UPDATE SET value = EXCLUDED.value, updated_us = EXCLUDED.updated_us
            """,
            [change.section, value, String(time.microseconds)])
    }
}
