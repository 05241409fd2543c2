import CourierCore
import HTTPTypes
import Hummingbird

/// Turns the framework's errors (unknown route, body too large) into the API's error object; as router
/// middleware it runs inside the router, which would otherwise answer them with an empty body.
struct HTTPErrorMapping<Context: RequestContext>: RouterMiddleware {
    let routes: [APIRoute]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            throw apiError(error, request: request)
        }
    }

    func apiError(_ error: HTTPError, request: Request) -> APIError {
        switch error.status {
        case .notFound:
            let allowed = routes.filter { Self.matches(pattern: $0.path, path: request.uri.path) }.map(\.method.rawValue)
            if !allowed.isEmpty {
                var headers = HTTPFields()
                headers[.allow] = allowed.joined(separator: ", ")
                return APIError(1025, "method \(request.method.rawValue) is not allowed here", status: .methodNotAllowed, headers: headers)
            }
            return APIError(1006, "unknown endpoint")
        case .contentTooLarge:
            return APIError(1025, "request body is too large", status: .contentTooLarge)
        default:
            let code = error.status.code >= 500 ? 1000 : 1025
            return APIError(code, error.body ?? "request failed", status: error.status)
        }
    }

    static func matches(pattern: String, path: String) -> Bool {
        let patternParts = pattern.split(separator: "/")
        let pathParts = path.split(separator: "/")
        guard patternParts.count == pathParts.count else { return false }
        return zip(patternParts, pathParts).allSatisfy { $0.hasPrefix("{") || $0.hasPrefix(":") || $0 == $1 }
    }
}

extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response { response }
}
