import CourierCore
import CourierShards
import HTTPTypes
import Hummingbird

/// `/v1/users…` (api.md §3): login with Basic credentials, logout, and user management. Every outcome that
/// changes something answers only once its control event is durable.
struct UserRoutes {
    let dependencies: APIDependencies

    /// `POST /v1/users/login`: the one route without a bearer token.
    func registerLogin(on router: some RouterMethods<CourierRequestContext>) {
        router.post("/v1/users/login") { request, context -> Response in
            let control = try dependencies.requireControl()
            guard let (username, password) = Self.basicCredentials(request) else {
                throw Self.basicUnauthorized("Basic credentials are missing or malformed")
            }
            var request = request
            let body = try await Self.object(
                request.jsonBody(limit: dependencies.configuration.bodyLimitBytes, optional: true)
            )
            let newPassword = try Self.optionalString(body, "new_password")
            let reply = try await Self.perform {
                try await control.login(
                    username: username,
                    password: password,
                    newPassword: newPassword,
                    client: context.clientAddress
                )
            }
            switch reply {
            case .issued(let token, let expiresAt):
                return APIResponse.json(
                    .ok,
                    ["users": [["token": .string(token), "expires_after": .string(expiresAt.apiDateTime)]]]
                )
            case .rejected(let rejection):
                throw Self.apiError(rejection)
            }
        }
    }

    /// The bearer routes: `users` needs any user's token, `admins` the admin's.
    func register(users: some RouterMethods<CourierRequestContext>, admins: some RouterMethods<CourierRequestContext>) {
        users.post("/v1/users/logout") { _, context -> Response in
            let caller = try context.requireUser()
            let control = try dependencies.requireControl()
            try await Self.perform { try await control.logout(tokenDigest: caller.tokenDigest) }
            return APIResponse.json(.ok, [:])
        }
        admins.post("/v1/users") { request, _ -> Response in
            let control = try dependencies.requireControl()
            var request = request
            let body = try await Self.object(request.jsonBody(limit: dependencies.configuration.bodyLimitBytes))
            let (username, password) = try Self.newUser(body, credentials: control.credentials)
            try Self.check(
                try await Self.perform { try await control.createUser(username: username, password: password) }
            )
            return Self.userResponse(.created, username)
        }
        users.get("/v1/users/:username") { _, context -> Response in
            let (control, username) = try Self.target(context, dependencies: dependencies)
            guard await control.user(named: username) != nil else { throw Self.apiError(.userNotFound) }
            return Self.userResponse(.ok, username)
        }
        users.put("/v1/users/:username") { request, context -> Response in
            let (control, username) = try Self.target(context, dependencies: dependencies)
            let caller = try context.requireUser()
            var request = request
            let body = try await Self.object(request.jsonBody(limit: dependencies.configuration.bodyLimitBytes))
            let password = try Self.requiredString(body, "password")
            // The calling token stays valid when users change their own password (api.md §3.4).
            let kept = caller.username == username ? caller.tokenDigest : nil
            try Self.check(
                try await Self.perform {
                    try await control.changePassword(username: username, password: password, keptTokenDigest: kept)
                }
            )
            return Self.userResponse(.ok, username)
        }
        admins.delete("/v1/users/:username") { _, context -> Response in
            let (control, username) = try Self.target(context, dependencies: dependencies)
            try Self.check(try await Self.perform { try await control.deleteUser(username: username) })
            return Self.userResponse(.ok, username)
        }
    }

    /// The control actor and `{username}`, once the caller may act on it: the admin, or the user itself.
    static func target(_ context: CourierRequestContext, dependencies: APIDependencies) throws -> (ControlActor, String)
    {
        let control = try dependencies.requireControl()
        let caller = try context.requireUser()
        guard let username = context.parameters.get("username") else { throw apiError(.userNotFound) }
        guard caller.role == .admin || caller.username == username else {
            throw APIError(1005, "a user may only read or change itself", status: .forbidden)
        }
        return (control, username)
    }

    static func userResponse(_ status: HTTPResponse.Status, _ username: String) -> Response {
        APIResponse.json(status, ["users": [["username": .string(username)]]])
    }

    static func check(_ reply: ControlReply) throws {
        if case .rejected(let rejection) = reply { throw apiError(rejection) }
    }
}
