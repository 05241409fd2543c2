import CourierCore
import CourierCrypto
import Logging
import Synchronization

/// The simulated network's account side (api.md §16): registration codes, verified-name certificates, contact
/// identities and the template registry. Codes and identities come from `--seed` (deterministic); certificates are
/// signed with a key derived from the seed, so a restarted gateway with the same seed accepts its old ones.
///
/// Codes live only here: Courier logs that one was requested, never the code (eventlog.md §2).
public final class GatewayRegistry: Sendable {
    /// api.md §4.2: codes live 10 minutes; the fifth wrong code invalidates the request.
    public static let codeLifetime: Duration = .seconds(600)
    public static let maximumWrongCodes = 5
    /// `--strict-certs` off: any non-empty certificate passes with this name.
    public static let defaultVerifiedName = "Courier Business"

    public struct PendingCode: Hashable, Sendable {
        public var cc: String
        public var phoneNumber: String
        public var method: String
        public var code: String
        public var expiresAt: Timestamp
        var wrongAttempts: Int
    }

    public struct Identity: Hashable, Sendable {
        /// base64url of the 32-byte identity key hash.
        public var hash: String
        public var createdAt: Timestamp
    }

    /// Why a certificate is refused (api.md §4.1: 400, 1005).
    public enum CertificateProblem: Error, Hashable, Sendable {
        case malformed, badSignature, expired, otherNumber
    }

    private struct State {
        var codes: [String: PendingCode] = [:]
        var codeCounter: UInt64 = 0
        var identityGenerations: [String: (generation: UInt64, createdAt: Timestamp)] = [:]
        var acknowledged: [String: String] = [:]
        var templates: [JSONValue] = GatewayRegistry.sampleTemplates
    }

    private let seed: UInt64
    private let strictCertificates: Bool
    private let signingKey: String
    private let clock: @Sendable () -> Timestamp
    private let startedAt: Timestamp
    private let logger: Logger
    private let state = Mutex(State())

    public init(configuration: GatewayConfiguration, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        seed = configuration.seed
        strictCertificates = configuration.strictCertificates
        signingKey = Token.digest("courier-gateway-signing-key:\(configuration.seed)")
        self.clock = clock
        startedAt = clock()
        self.logger = logger
    }

    // MARK: Registration codes

    /// Makes (or replaces) the code for the number; printed to the gateway's log like the original network's SMS.
    @discardableResult
    public func issueCode(cc: String, phoneNumber: String, method: String) -> PendingCode {
        let waID = cc + phoneNumber
        let now = clock()
        let pending = state.withLock { state in
            state.codeCounter += 1
            var random = SeededRandom(seed: seed ^ ShardHash.fnv1a64(waID) ^ (state.codeCounter &* 0x9E37_79B9_7F4A_7C15))
            let digits = String(random.next() % 1_000_000)
            let code = String(repeating: "0", count: 6 - digits.count) + digits
            let pending = PendingCode(
                cc: cc, phoneNumber: phoneNumber, method: method, code: code,
                expiresAt: now.advanced(by: Self.codeLifetime), wrongAttempts: 0)
            state.codes[waID] = pending
            return pending
        }
        logger.info(
            "registration code issued",
            metadata: [
                "account.cc": "\(cc)", "account.phone_number": "\(phoneNumber)", "account.method": "\(method)",
                "account.code": "\(pending.code)",
            ])
        return pending
    }

    /// Checks a code against the number's live one: a match uses it up; the fifth wrong one removes it.
    public func checkCode(cc: String, phoneNumber: String, code: String) -> CodeCheck {
        let now = clock()
        return state.withLock { state in
            let waID = cc + phoneNumber
            guard var pending = state.codes[waID], pending.expiresAt > now else {
                state.codes[waID] = nil
                return .noPendingCode
            }
            if pending.code == code {
                state.codes[waID] = nil
                return .accepted
            }
            pending.wrongAttempts += 1
            if pending.wrongAttempts >= Self.maximumWrongCodes {
                state.codes[waID] = nil
                return .tooManyAttempts
            }
            state.codes[waID] = pending
            return .wrong
        }
    }

    /// `GET /gateway/codes`: the live codes, oldest expiry first.
    public func pendingCodes() -> [PendingCode] {
        let now = clock()
        return state.withLock { state in
            state.codes = state.codes.filter { $0.value.expiresAt > now }
            return state.codes.values.sorted { ($0.expiresAt, $0.cc + $0.phoneNumber) < ($1.expiresAt, $1.cc + $1.phoneNumber) }
        }
    }

    // MARK: Certificates

    /// `POST /gateway/certs`: a signed certificate for the number and name, valid `validDays` days.
    public func issueCertificate(cc: String, phoneNumber: String, vname: String, validDays: Int) -> String {
        let expires = clock().advanced(by: .seconds(Int64(validDays) * 86_400))
        let body: JSONValue = [
            "cc": .string(cc), "phone_number": .string(phoneNumber), "vname": .string(vname),
            "expires_at": .integer(expires.microseconds / 1_000_000),
        ]
        let text = body.serializedString
        let certificate: JSONValue = ["body": .string(text), "signature": .string(signature(text))]
        return Base64URL.encode(certificate.serialized())
    }

    /// The verified name in `certificate` for the number. Without `--strict-certs` any non-empty certificate
    /// passes as "Courier Business" (a certificate this gateway signed still gives its own name).
    public func verifiedName(certificate: String, cc: String, phoneNumber: String) -> Result<String, CertificateProblem> {
        let checked = check(certificate, cc: cc, phoneNumber: phoneNumber)
        if case .failure = checked, !strictCertificates, !certificate.isEmpty {
            return .success(Self.defaultVerifiedName)
        }
        return checked
    }

    private func check(_ certificate: String, cc: String, phoneNumber: String) -> Result<String, CertificateProblem> {
        let trimmed = String(certificate.filter { $0 != "=" && $0 != "\n" && $0 != "\r" })
            .replacingSlashesAndPluses()
        guard let bytes = Base64URL.decode(trimmed), let outer = try? JSONParser.parse(bytes),
            let text = outer["body"]?.stringValue, let signature = outer["signature"]?.stringValue,
            let body = try? JSONParser.parse(Array(text.utf8)), let vname = body["vname"]?.stringValue,
            case .integer(let expiresAt)? = body["expires_at"]
        else { return .failure(.malformed) }
        guard Token.constantTimeEquals(signature, self.signature(text)) else { return .failure(.badSignature) }
        guard expiresAt * 1_000_000 > clock().microseconds else { return .failure(.expired) }
        guard body["cc"]?.stringValue == cc, body["phone_number"]?.stringValue == phoneNumber else {
            return .failure(.otherNumber)
        }
        return .success(vname)
    }

    private func signature(_ text: String) -> String { Token.digest(signingKey + "\n" + text) }

    // MARK: Identities (api.md §7.2)

    /// The contact's current identity key hash; nil when `waID` is not a user of the network.
    public func identity(of waID: String) -> Identity? {
        let (generation, createdAt) = state.withLock { $0.identityGenerations[waID] } ?? (0, startedAt)
        let digest = Token.digest("identity:\(seed):\(waID):\(generation)")
        return Identity(hash: Base64URL.encode(Self.bytes(hex: digest)), createdAt: createdAt)
    }

    /// `POST /gateway/users/{wa_id}/identity-change`: the contact reinstalled; a new identity key from now on.
    @discardableResult
    public func changeIdentity(of waID: String) -> Identity? {
        let now = clock()
        state.withLock { state in
            let generation = (state.identityGenerations[waID]?.generation ?? 0) + 1
            state.identityGenerations[waID] = (generation, now)
            state.acknowledged[waID] = nil
        }
        return identity(of: waID)
    }

    /// `PUT /v1/contacts/{wa_id}/identity`: acknowledges `hash` if it is the current one.
    public func acknowledgeIdentity(of waID: String, hash: String) -> Bool {
        guard let current = identity(of: waID), current.hash == hash else { return false }
        state.withLock { $0.acknowledged[waID] = hash }
        return true
    }

    /// Whether the contact's current identity was acknowledged.
    public func isIdentityAcknowledged(_ waID: String) -> Bool {
        guard let current = identity(of: waID) else { return false }
        return state.withLock { $0.acknowledged[waID] } == current.hash
    }

    private static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(UInt8(nibble(high) << 4 | nibble(low)))
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8 {
        character >= UInt8(ascii: "a") ? character - UInt8(ascii: "a") + 10 : character - UInt8(ascii: "0")
    }

    // MARK: Templates

    /// `GET /gateway/templates`.
    public func templates() -> [JSONValue] { state.withLock { $0.templates } }

    /// `POST /gateway/templates`: adds or replaces (by name and language) a template.
    public func addTemplate(_ template: JSONValue) {
        state.withLock { state in
            state.templates.removeAll {
                $0["name"] == template["name"] && $0["language"] == template["language"]
            }
            state.templates.append(template)
        }
    }

    /// The built-in sample set.
    static let sampleTemplates: [JSONValue] = [
        [
            "name": "hello_world", "language": "en_US", "namespace": "courier_samples", "category": "UTILITY",
            "components": [["type": "BODY", "text": "Hello World"]],
        ],
        [
            "name": "order_update", "language": "en", "namespace": "courier_samples", "category": "UTILITY",
            "components": [["type": "BODY", "text": "Your order {{1}} has shipped and arrives on {{2}}."]],
        ],
        [
            "name": "verification_code", "language": "en", "namespace": "courier_samples",
            "category": "AUTHENTICATION", "components": [["type": "BODY", "text": "{{1}} is your verification code."]],
        ],
    ]
}

extension String {
    /// Standard base64 read as base64url.
    fileprivate func replacingSlashesAndPluses() -> String {
        String(map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }
}
