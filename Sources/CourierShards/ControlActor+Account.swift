import CourierCore
import Logging

extension ControlActor {
    /// The registered number, nil until a code is verified (`/v1/health` shows `unregistered`, api.md §5).
    public var registration: AccountState.Registration? { state.account.registration }

    /// The account as of the last applied record.
    public var account: AccountState { state.account }

    /// `POST /v1/account` (api.md §4.1) once the certificate gave `vname`: checks the PIN when two-step verification
    /// is on for the number, answers `alreadyRegistered` for the registered number, else calls `issue` (the gateway
    /// makes and sends the code, which Courier never sees) and appends `code-requested`.
    public func requestCode(
        _ request: AccountCodeRequest, vname: String, issue: @Sendable () throws -> Void
    ) async throws -> AccountReply {
        let pinVerified = try await pinMatches(request.pin, waID: request.waID)
        let (events, reply) = state.handle(
            .requestCode(
                cc: request.cc, phoneNumber: request.phoneNumber, method: request.method, vname: vname,
                pinVerified: pinVerified),
            now: clock())
        if !events.isEmpty {
            try issue()
            try await append(events) { _ in }
            logger.info(
                "registration code requested",
                metadata: ["account.cc": "\(request.cc)", "account.method": "\(request.method)"])
        }
        return reply
    }

    /// `POST /v1/account/verify` (api.md §4.2): `check` asks the gateway about the code of the live pending request;
    /// an accepted code appends `verified` (and the settings' `wa_id`).
    public func verify(check: @Sendable (_ cc: String, _ phoneNumber: String) -> CodeCheck) async throws -> AccountReply {
        guard let pending = state.account.livePending(at: clock()) else { return .rejected(.noPendingRequest) }
        switch check(pending.cc, pending.phoneNumber) {
        case .wrong: return .rejected(.wrongCode)
        case .tooManyAttempts: return .rejected(.tooManyAttempts)
        case .noPendingCode: return .rejected(.noPendingRequest)
        case .accepted: break
        }
        let command = AccountCommand.verified(waID: pending.waID)
        let (events, reply) = state.handle(command, now: clock())
        if !events.isEmpty {
            try await append(events) { $0.appendFailed(command) }
            logger.info("account registered", metadata: ["account.cc": "\(pending.cc)"])
        }
        return reply
    }

    /// `POST /v1/account/shards` (api.md §4.4): whether the request names the registered number with the right PIN.
    /// `.done` when it may go on.
    public func authorizeShardChange(_ request: ShardCountRequest) async throws -> AccountReply {
        guard let registration = state.account.registration else { return .rejected(.notRegistered) }
        guard registration.waID == request.waID, registration.cc == request.cc else {
            return .rejected(.notTheRegisteredNumber)
        }
        guard try await pinMatches(request.pin, waID: request.waID) else { return .rejected(.pinRequired) }
        return .done
    }

    /// `POST /v1/settings/account/two-step` (api.md §9.3): stores the PIN's hash (hashed off the actor).
    public func setTwoStep(pin: String) async throws -> AccountReply {
        guard state.account.registration != nil else { return .rejected(.notRegistered) }
        let hash = try await hashOffActor(pin)
        return try await runAccount(.setTwoStep(pinHash: hash))
    }

    /// `DELETE /v1/settings/account/two-step`.
    public func clearTwoStep() async throws -> AccountReply {
        try await runAccount(.clearTwoStep)
    }

    private func runAccount(_ command: AccountCommand) async throws -> AccountReply {
        let (events, reply) = state.handle(command, now: clock())
        if !events.isEmpty { try await append(events) { $0.appendFailed(command) } }
        return reply
    }

    /// True when no PIN is set for `waID`, or `pin` matches it (verified off the actor). The hash is re-read after
    /// the await: a PIN changed meanwhile means the answer is no (actor reentrancy).
    private func pinMatches(_ pin: String?, waID: String) async throws -> Bool {
        guard let hash = state.account.twoStepPINs[waID] else { return true }
        guard let pin else { return false }
        let credentials = credentials
        let matches = try await offActor { credentials.verifyPassword(pin, hash) }
        return matches && state.account.twoStepPINs[waID] == hash
    }
}
