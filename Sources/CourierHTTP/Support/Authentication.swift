import CourierCore
import CourierShards
import HTTPTypes
import Hummingbird

/// Checks `Authorization` before an authenticated route runs (api.md §1.2) and records the caller in the
/// context. Missing, malformed, unknown, expired or revoked credentials are 401/1005 with `WWW-Authenticate`;
/// a user token on an admin route is 403/1005. Credentials never appear in errors or logs.
struct Authenticator: RouterMiddleware {
    typealias Context = CourierRequestContext

    enum Requirement: Sendable {
        /// Any user's bearer token.
        case user
        /// The admin's bearer token.
        case admin
        /// A bearer token, or the API key when one is configured (`/v1/health`, `/metrics`, `/v1/stats/*`).
        case userOrAPIKey
    }

    let requirement: Requirement
    let dependencies: APIDependencies

    init(_ requirement: Requirement, dependencies: APIDependencies) {
        self.requirement = requirement
        self.dependencies = dependencies
    }

    /// Longest credential looked at: a token is 43 characters, an API key at most 128.
    static let maximumCredentialLength = 512

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let control = try dependencies.requireControl()
        var context = context
        context.caller = try await caller(of: request, control: control)
        if requirement == .admin, case .user(let user)? = context.caller, user.role != .admin {
            throw APIError(1005, "this endpoint needs the admin user", status: .forbidden)
        }
        return try await next(request, context)
    }

    private func caller(of request: Request, control: ControlActor) async throws -> Caller {
        guard let (scheme, credentials) = Self.authorization(request),
            credentials.utf8.count <= Self.maximumCredentialLength
        else { throw Self.unauthorized("credentials are missing or malformed") }
        switch scheme {
        case "bearer":
            guard let user = await control.authenticate(token: credentials) else {
                throw Self.unauthorized("the token is unknown, expired or revoked")
            }
            return .user(user)
        case "apikey" where requirement == .userOrAPIKey:
            guard let apiKey = dependencies.configuration.apiKey, control.credentials.secretsEqual(apiKey, credentials)
            else {
                throw Self.unauthorized("the API key is not valid")
            }
            return .apiKey
        default:
            throw Self.unauthorized("this endpoint takes a Bearer token")
        }
    }

    /// `Authorization: <scheme> <credentials>`: the scheme lowercased (names are case-insensitive), the
    /// credentials without surrounding spaces; nil when either is missing.
    static func authorization(_ request: Request) -> (scheme: String, credentials: String)? {
        guard let value = request.headers[.authorization] else { return nil }
        let trimmed = value.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " ") else { return nil }
        let scheme = trimmed[..<space].lowercased()
        let credentials = trimmed[space...].trimmingSpaces()
        guard !scheme.isEmpty, !credentials.isEmpty else { return nil }
        return (scheme, credentials)
    }

    /// 401/1005 with the challenge clients need.
    static func unauthorized(_ details: String, challenge: String = #"Bearer realm="Courier""#) -> APIError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = challenge
        return APIError(1005, details, status: .unauthorized, headers: headers)
    }

    static func accessDenied() -> APIError {
        APIError(1005, "this endpoint needs a user's bearer token", status: .forbidden)
    }
}

extension APIDependencies {
    /// The control actor, or 503/1011 while the node has none (users and tokens not loaded).
    func requireControl() throws -> ControlActor {
        guard let control else {
            var headers = HTTPFields()
            headers[.retryAfter] = "1"
            throw APIError(1011, "users and tokens are not loaded on this node", headers: headers)
        }
        return control
    }
}

extension Substring {
    /// Trims spaces and tabs on UTF-8 bytes: this runs on every request, and character-wise
    /// reversed collections cost microseconds (HTTP benchmark profile).
    func trimmingSpaces() -> String {
        let bytes = utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        return String(self[first...last])
    }
}

extension APIConfiguration {
    /// api.md §1.2: `WA_API_KEY` must be 12–128 characters, else the node refuses to start. Nil when `key` is
    /// acceptable, else the sentence for the operator (without the key).
    public static func apiKeyProblem(_ key: String) -> String? {
        (12...128).contains(key.count) ? nil : "WA_API_KEY must be 12 to 128 characters long (it has \(key.count))"
    }
}
