/// `account-change` (kind 9, control stream): the business number's registration and two-step verification
/// (api.md §4, §9.3). The verification code never appears (the gateway holds it); the PIN only as its salted slow
/// hash (eventlog.md §2).
public struct AccountChangeEvent: Hashable, Sendable {
    public enum Action: String, CaseIterable, Hashable, Sendable {
        case codeRequested = "code-requested"
        case verified
        case twoStepSet = "two-step-set"
        case twoStepCleared = "two-step-cleared"
    }

    public var action: Action
    public var cc: String
    public var phoneNumber: String
    /// `sms` or `voice` for `code-requested`; empty otherwise.
    public var method: String
    /// The verified name from the certificate (`code-requested`, `verified`).
    public var vname: String
    /// The PHC hash of the two-step PIN (`two-step-set`); nil otherwise.
    public var pinHash: String?

    public init(
        action: Action, cc: String, phoneNumber: String, method: String = "", vname: String = "", pinHash: String? = nil
    ) {
        self.action = action
        self.cc = cc
        self.phoneNumber = phoneNumber
        self.method = method
        self.vname = vname
        self.pinHash = pinHash
    }

    /// `cc` and `phone_number` joined: the business's `wa_id`.
    public var waID: String { cc + phoneNumber }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1, capacity: 48 + vname.utf8.count + (pinHash?.utf8.count ?? 0))
        writer.write(action.rawValue)
        writer.write(cc)
        writer.write(phoneNumber)
        writer.write(method)
        writer.write(vname)
        writer.write(pinHash)
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .accountChange)
        let name = try reader.readString()
        guard let action = Action(rawValue: name) else {
            throw RecordError(.malformedPayload, "unknown account-change action '\(name)'")
        }
        self.action = action
        cc = try reader.readString()
        phoneNumber = try reader.readString()
        method = try reader.readString()
        vname = try reader.readString()
        pinHash = try reader.readOptionalString()
        try reader.expectEnd()
    }
}
