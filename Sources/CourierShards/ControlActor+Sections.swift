import CourierCore

extension ControlActor {
    /// A stored settings section (api.md §9.2–§9.3), nil when never set.
    public func section(_ name: String) -> JSONValue? { state.section(name) }

    /// Edits a stored settings section; replies once its `settings-change` event is durable.
    public func editSection(_ name: String, _ edit: SectionEdit) async throws -> ControlReply {
        let reply = try await run(.editSection(section: name, edit: edit))
        if reply == .done { logger.info("settings changed", metadata: ["settings.section": "\(name)"]) }
        return reply
    }
}
