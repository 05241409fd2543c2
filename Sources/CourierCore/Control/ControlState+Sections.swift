/// The stored settings sections of api.md §9.2–§9.3: each a whole JSON value under its section name,
/// written as a `settings-change` with `reset` (an exact replacement, replayed as such).
extension SettingsChangeEvent {
    public static let mediaProvidersSection = "media.providers"
    public static let profileAboutSection = "profile.about"
    public static let profilePhotoSection = "profile.photo"
    public static let businessProfileSection = "business.profile"
    public static let complianceInfoSection = "business.compliance_info"
    /// `POST /v1/certificates/external`: `{"key_pem", "chain_pem"}` (api.md §13).
    public static let externalCertificateSection = "certificates.external"
    /// `/v1/certificates/webhooks/ca`: `{"pem"}`, or null once deleted.
    public static let webhooksCASection = "certificates.webhooks_ca"
}

extension ControlState {
    /// A stored section's value, nil when never set.
    public func section(_ name: String) -> JSONValue? { settings[name] }

    mutating func handleSectionEdit(section: String, edit: SectionEdit) -> [ControlEffect] {
        var effects: [ControlEffect] = []
        let current = pendingSections[section] ?? settings[section]
        var next: JSONValue
        switch edit {
        case .replace(let value):
            next = value
        case .merge(let members):
            var object = current?.objectValue ?? JSONObject()
            for member in members.members { object[member.key] = member.value }
            next = .object(object)
        case .upsertByName(let key, let items):
            var list = current?[key]?.arrayValue ?? []
            for item in items {
                let name = item["name"]
                if let index = list.firstIndex(where: { $0["name"] == name }) { list[index] = .object(item) } else { list.append(.object(item)) }
            }
            var object = current?.objectValue ?? JSONObject()
            object[key] = .array(list)
            next = .object(object)
        case .removeByName(let key, let name):
            var list = current?[key]?.arrayValue ?? []
            guard let index = list.firstIndex(where: { $0["name"]?.stringValue == name }) else {
                effects.append(.reply(.rejected(.sectionItemNotFound(name))))
                return effects
            }
            list.remove(at: index)
            var object = current?.objectValue ?? JSONObject()
            object[key] = .array(list)
            next = .object(object)
        }
        pendingSections[section] = next
        effects.append(.append(.settingsChange(SettingsChangeEvent(section: section, value: next.serialized(), reset: true))))
        effects.append(.reply(.done))
        return effects
    }
}
