extension ControlState {
    /// Folds one durable control record. Records must arrive in seq order with no gap. Kinds other than
    /// `user-change`, `token` and `settings-change` belong to other control state machines and only advance the seq.
    ///
    /// Commands decided on state that changed before their record (a token issued to a user deleted meanwhile)
    /// fold to nothing, the same way on every replay.
    public mutating func apply(_ record: Record) throws {
        precondition(
            record.shard == Record.controlShard,
            "record of shard \(record.shard) applied to the control state"
        )
        precondition(record.seq == appliedSeq + 1, "control: applying seq \(record.seq) after \(appliedSeq)")
        precondition(record.epoch >= epoch, "control: epoch went back from \(epoch) to \(record.epoch)")
        let event = try Event.decode(record)
        appliedSeq = record.seq
        epoch = record.epoch
        lastTimestamp = max(lastTimestamp, record.timestamp)
        switch event {
        case .userChange(let change): apply(change, at: record)
        case .token(let token): apply(token, at: record)
        case .settingsChange(let change): apply(change)
        case .accountChange(let change): account.apply(change, at: record.timestamp)
        case .shardChange(let change):
            if change.action == .assigned || change.action == .reshardCommit { shardCount = change.shardCount }
            if change.action == .reshardBegin { openReshard = record.seq }
            if change.action == .reshardCommit || change.action == .reshardAbort { openReshard = nil }
        case .send, .status, .markRead, .receipt, .webhookDelivered, .webhookDropped, .gc, .rotation, .snapshot: break
        case nil: unknownRecords += 1
        }
    }

    private mutating func apply(_ change: SettingsChangeEvent) {
        let value = change.parsedValue
        if change.reset && change.section != SettingsChangeEvent.applicationSection {
            // A whole stored value (api.md §9.2–§9.3, restore): kept exactly, nulls included.
            settings[change.section] = value
            if pendingSections[change.section] == value { pendingSections[change.section] = nil }
        } else if case .object = value {
            settings[change.section] = .object(Self.folded(settings[change.section]?.objectValue ?? JSONObject(), change))
        } else {
            settings[change.section] = value  // a full value that is not an object replaces the section
        }
        if change.section == SettingsChangeEvent.applicationSection, pendingSettingsChanges > 0 {
            pendingSettingsChanges -= 1
        }
    }

    private mutating func apply(_ change: UserChangeEvent, at record: Record) {
        let username = change.username
        switch change.action {
        case .created:
            pendingCreations.remove(username)
            if users[username] == nil {
                users[username] = UserAccount(
                    username: username,
                    passwordHash: change.passwordHash,
                    passwordChangeRequired: change.passwordChangeRequired,
                    createdAt: record.timestamp
                )
            }
        case .passwordChanged:
            guard var user = users[username] else { break }
            user.passwordHash = change.passwordHash
            user.passwordChangeRequired = change.passwordChangeRequired
            users[username] = user
            revokeTokens(of: username) { $0 != change.keptTokenDigest }
        case .deleted:
            pendingDeletions.remove(username)
            users[username] = nil
            revokeTokens(of: username) { _ in true }
        }
    }

    private mutating func apply(_ event: TokenEvent, at record: Record) {
        switch event.action {
        case .issued:
            guard users[event.username] != nil, tokens[event.tokenDigest] == nil else { break }
            // Expired tokens are not live: drop them before counting against the cap.
            let expired = Set(
                liveAndExpired(of: event.username).filter { $0.expiresAt <= record.timestamp }.map(\.digest)
            )
            if !expired.isEmpty { revokeTokens(of: event.username) { expired.contains($0) } }
            tokens[event.tokenDigest] = LiveToken(
                digest: event.tokenDigest,
                username: event.username,
                issuedAt: record.timestamp,
                expiresAt: event.expiresAt,
                issueSeq: record.seq
            )
            var order = tokenOrder[event.username] ?? []
            order.append(event.tokenDigest)
            while order.count > Self.maximumTokensPerUser {
                tokens[order.removeFirst()] = nil
            }
            tokenOrder[event.username] = order
        case .revoked:
            guard let token = tokens.removeValue(forKey: event.tokenDigest) else { break }
            tokenOrder[token.username]?.removeAll { $0 == event.tokenDigest }
            if tokenOrder[token.username]?.isEmpty == true { tokenOrder[token.username] = nil }
        }
    }

    private func liveAndExpired(of username: String) -> [LiveToken] {
        (tokenOrder[username] ?? []).compactMap { tokens[$0] }
    }

    /// Removes the user's tokens whose digest matches `shouldRevoke`, keeping issue order.
    private mutating func revokeTokens(of username: String, where shouldRevoke: (String) -> Bool) {
        guard let order = tokenOrder[username] else { return }
        var kept: [String] = []
        for digest in order {
            if shouldRevoke(digest) { tokens[digest] = nil } else { kept.append(digest) }
        }
        tokenOrder[username] = kept.isEmpty ? nil : kept
    }
}
