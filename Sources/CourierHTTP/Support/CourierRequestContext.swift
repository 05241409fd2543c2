import CourierCore
import Hummingbird
import NIOCore

/// Who made an authenticated request (api.md §1.2).
public enum Caller: Hashable, Sendable {
    /// A bearer token's user.
    case user(AuthenticatedUser)
    /// `Authorization: Apikey`, on the monitoring endpoints only.
    case apiKey
}

/// The request context of every `/v1` route: the peer address (login throttling is per client address) and,
/// on authenticated routes, the caller the `Authenticator` found.
public struct CourierRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer; nil in router tests, which have no socket.
    public let remoteAddress: SocketAddress?
    /// Set by `Authenticator` before the route's handler runs; nil on login.
    public var caller: Caller?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
        caller = nil
    }

    /// The client address login failures are counted under.
    var clientAddress: String {
        remoteAddress?.ipAddress ?? remoteAddress?.pathname ?? "unknown"
    }

    /// The bearer token's user; an API key (or a route without an authenticator) is refused.
    func requireUser() throws -> AuthenticatedUser {
        guard case .user(let user)? = caller else { throw Authenticator.accessDenied() }
        return user
    }
}
