/// The business number as the control stream knows it (api.md §4): the registered number, the pending code
/// request, and two-step verification PINs (hashes only), per number. Part of `ControlState`, folded from
/// `account-change` records.
public struct AccountState: Hashable, Sendable {
    /// api.md §4.2: a requested code lives 10 minutes.
    public static let codeLifetime: Duration = .seconds(600)

    public struct Registration: Hashable, Sendable {
        public var cc: String
        public var phoneNumber: String
        public var vname: String
        public var verifiedAt: Timestamp

        public var waID: String { cc + phoneNumber }
    }

    public struct PendingRequest: Hashable, Sendable {
        public var cc: String
        public var phoneNumber: String
        public var method: String
        public var vname: String
        public var requestedAt: Timestamp

        public var waID: String { cc + phoneNumber }
        public var expiresAt: Timestamp { requestedAt.advanced(by: AccountState.codeLifetime) }
    }

    public internal(set) var registration: Registration?
    public internal(set) var pending: PendingRequest?
    /// Two-step verification PIN hashes by `wa_id`: a number keeps its PIN when another is registered.
    public internal(set) var twoStepPINs: [String: String] = [:]

    public init() {}

    /// The pending request if it is still live at `now`.
    public func livePending(at now: Timestamp) -> PendingRequest? {
        guard let pending, pending.expiresAt > now else { return nil }
        return pending
    }

    mutating func apply(_ change: AccountChangeEvent, at timestamp: Timestamp) {
        switch change.action {
        case .codeRequested:
            pending = PendingRequest(
                cc: change.cc, phoneNumber: change.phoneNumber, method: change.method, vname: change.vname,
                requestedAt: timestamp)
        case .verified:
            registration = Registration(
                cc: change.cc, phoneNumber: change.phoneNumber, vname: change.vname, verifiedAt: timestamp)
            if pending?.waID == change.waID { pending = nil }
        case .twoStepSet:
            if let hash = change.pinHash { twoStepPINs[change.waID] = hash }
        case .twoStepCleared:
            twoStepPINs[change.waID] = nil
        }
    }
}

/// What the control actor asks `ControlState` to decide about the account (api.md §4, §9.3). Secrets arrive
/// already checked or hashed: the actor verifies PINs off the actor, and the gateway checks codes.
public enum AccountCommand: Hashable, Sendable {
    /// `POST /v1/account` after the certificate was accepted (its `vname`) and the PIN, when one is set for the
    /// number, verified (`pinVerified`).
    case requestCode(cc: String, phoneNumber: String, method: String, vname: String, pinVerified: Bool)
    /// The gateway accepted the code of the pending request for `waID`.
    case verified(waID: String)
    case setTwoStep(pinHash: String)
    case clearTwoStep
}

public enum AccountRejection: Hashable, Sendable {
    /// Wrong or missing PIN while two-step verification is on (403, 1005).
    case pinRequired
    /// No pending request, or it expired (400, 1009).
    case noPendingRequest
    /// The account is not registered (503 / 403, 1011).
    case notRegistered
    /// The code does not match the pending request (400, 1009).
    case wrongCode
    /// The fifth wrong code invalidated the pending request (429, 1015).
    case tooManyAttempts
    /// `cc` / `phone_number` are not the registered number (400, 1009).
    case notTheRegisteredNumber
}

/// What the gateway said of a verification code (api.md §4.2, §16).
public enum CodeCheck: Hashable, Sendable {
    case accepted
    case wrong
    /// That wrong code was the fifth: the request is gone.
    case tooManyAttempts
    /// The gateway has no live code for the number (never requested, expired, or used).
    case noPendingCode
}

public enum AccountReply: Hashable, Sendable {
    case done
    /// A code was requested: the gateway sends it; `vname` from the certificate.
    case codeRequested(vname: String)
    /// The number is registered here already; nothing to verify (201).
    case alreadyRegistered
    case rejected(AccountRejection)
}

extension ControlState {
    /// Decides an account command: the events to append (one atomic batch), then the reply once durable.
    public mutating func handle(_ command: AccountCommand, now: Timestamp) -> (events: [Event], reply: AccountReply) {
        var events: [Event] = []
        let reply: AccountReply
        switch command {
        case .requestCode(let cc, let phoneNumber, let method, let vname, let pinVerified):
            if account.twoStepPINs[cc + phoneNumber] != nil && !pinVerified {
                reply = .rejected(.pinRequired)
            } else if account.registration?.waID == cc + phoneNumber {
                reply = .alreadyRegistered
            } else {
                events.append(.accountChange(AccountChangeEvent(
                    action: .codeRequested, cc: cc, phoneNumber: phoneNumber, method: method, vname: vname)))
                reply = .codeRequested(vname: vname)
            }
        case .verified(let waID):
            if let pending = account.livePending(at: now), pending.waID == waID {
                events.append(.accountChange(AccountChangeEvent(
                    action: .verified, cc: pending.cc, phoneNumber: pending.phoneNumber, vname: pending.vname)))
                // `wa_id` of the application settings is set by registration (api.md §9.1).
                events.append(accountSettingsChange(waID: waID))
                reply = .done
            } else {
                reply = .rejected(.noPendingRequest)
            }
        case .setTwoStep(let pinHash):
            if let registration = account.registration {
                events.append(.accountChange(AccountChangeEvent(
                    action: .twoStepSet, cc: registration.cc, phoneNumber: registration.phoneNumber, pinHash: pinHash)))
                reply = .done
            } else {
                reply = .rejected(.notRegistered)
            }
        case .clearTwoStep:
            if let registration = account.registration {
                if account.twoStepPINs[registration.waID] != nil {
                    events.append(.accountChange(AccountChangeEvent(
                        action: .twoStepCleared, cc: registration.cc, phoneNumber: registration.phoneNumber)))
                }
                reply = .done
            } else {
                reply = .rejected(.notRegistered)
            }
        }
        return (events, reply)
    }

    /// Forgets what `handle` reserved for an account command whose append failed.
    public mutating func appendFailed(_ command: AccountCommand) {
        if case .verified = command { pendingSettingsChanges = max(0, pendingSettingsChanges - 1) }
    }

    /// The application settings' `wa_id` set to the registered number, counted as a pending settings change so a
    /// concurrent PATCH validates against it.
    private mutating func accountSettingsChange(waID: String) -> Event {
        let base = pendingSettingsChanges > 0 ? pendingApplicationOverrides : applicationOverrides
        let event = SettingsChangeEvent(
            section: SettingsChangeEvent.applicationSection, patch: ["wa_id": .string(waID)])
        pendingSettingsChanges += 1
        pendingApplicationOverrides = Self.folded(base, event)
        return .settingsChange(event)
    }

    /// The account events that make the account what `backup` holds (api.md §10): its registration, and the
    /// two-step PINs set and cleared to match. A backup without account data changes nothing.
    func accountRestoreEvents(_ backup: BackupDocument) -> [Event] {
        guard let saved = backup.account else { return [] }
        var events: [Event] = []
        if let registered = saved.registration, registered != account.registration.map({
            BackupDocument.Account.Registration(cc: $0.cc, phoneNumber: $0.phoneNumber, vname: $0.vname)
        }) {
            events.append(.accountChange(AccountChangeEvent(
                action: .verified, cc: registered.cc, phoneNumber: registered.phoneNumber, vname: registered.vname)))
        }
        for (waID, hash) in saved.twoStepPINs.sorted(by: { $0.key < $1.key }) where account.twoStepPINs[waID] != hash {
            let (cc, number) = BackupDocument.Account.split(waID, registered: saved.registration)
            events.append(.accountChange(AccountChangeEvent(action: .twoStepSet, cc: cc, phoneNumber: number, pinHash: hash)))
        }
        for waID in account.twoStepPINs.keys.sorted() where saved.twoStepPINs[waID] == nil {
            let (cc, number) = BackupDocument.Account.split(waID, registered: account.registration.map {
                BackupDocument.Account.Registration(cc: $0.cc, phoneNumber: $0.phoneNumber, vname: $0.vname)
            })
            events.append(.accountChange(AccountChangeEvent(action: .twoStepCleared, cc: cc, phoneNumber: number)))
        }
        return events
    }
}
