import CourierCore
import HTTPTypes
import Hummingbird
import Logging

/// Wraps the router with api.md §1.1's conventions: a trailing slash is ignored, every response has
/// `X-Request-Id` and `Server`, unknown paths are 404/1006, wrong methods 405/1025 with `Allow`, and
/// every error becomes the error object; anything unexpected is a logged 500/1000, never a crash.
struct ConventionsResponder<Router: HTTPResponder<CourierRequestContext>>: HTTPResponder {
    typealias Context = CourierRequestContext
    let router: Router
    let routes: [APIRoute]
    let serverHeader: String
    let logger: Logger
    let metrics: HTTPMetrics

    static var requestIDField: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func respond(to request: Request, context: Context) async throws -> Response {
        let requestID = request.headers[Self.requestIDField].flatMap { $0.isEmpty || $0.utf8.count > 200 ? nil : $0 }
            ?? Self.generatedRequestID()
        var request = request
        let path = request.uri.path
        if path.count > 1, path.hasSuffix("/") {
            var head = request.head
            let query = request.uri.query.map { "?" + $0 } ?? ""
            head.path = String(path.dropLast()) + query
            request = Request(head: head, body: request.body)
        }
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await router.respond(to: request, context: context)
        } catch let error as APIError {
            response = error.response
        } catch let error as HTTPError {
            response = HTTPErrorMapping<CourierRequestContext>(routes: routes).apiError(error, request: request).response
        } catch {
            logger.error(
                "request failed", metadata: ["error.type": "\(type(of: error))", "http.path": "\(request.uri.path)"])
            response = APIError(1000, "internal error; the node log has details (request \(requestID))").response
        }
        response.headers[Self.requestIDField] = requestID
        response.headers[.server] = serverHeader
        metrics.record(
            route: context.coreContext.endpointPath.value, method: request.method, status: response.status,
            duration: ContinuousClock.now - start)
        return response
    }

    static func generatedRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 16)
    }
}
