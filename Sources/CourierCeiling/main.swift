// courier-ceiling: the HTTP ceiling for `POST /v1/messages` (scripts/bench-http.sh).
//
// The same framework as Courier (Hummingbird 2, HTTP/1.1, the same event loop group and backlog),
// the same route, the same request decoding (Content-Type check, `collectBody(upTo:)`,
// `JSONParser.parse`, `SendValidation.validate`, a `gBG…` id from `MessageID.outbound`) and the
// same response shape and headers; but nothing is stored, no shard actor is involved, and the 201
// goes out at once. What Courier reaches relative to this is what durability and its shard
// routing cost on top of the framework.
//
// Usage: courier-ceiling [--listen HOST:PORT]   (default 127.0.0.1:0: a free port)
// Prints `listening on HOST:PORT` to stdout once bound; SIGTERM/SIGINT stop it gracefully.

import CourierCore
import Foundation
import Hummingbird
import NIOCore

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: courier-ceiling [--listen HOST:PORT]\n".utf8))
    exit(2)
}

func parseListen() -> (host: String, port: Int) {
    var listen = (host: "127.0.0.1", port: 0)
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch argument {
        case "--listen":
            guard let text = arguments.popFirst(), let colon = text.lastIndex(of: ":"), colon != text.startIndex,
                let parsed = Int(text[text.index(after: colon)...]), (0...65535).contains(parsed)
            else { usage() }
            listen = (String(text[..<colon]), parsed)
        case "-h", "--help":
            print("usage: courier-ceiling [--listen HOST:PORT]")
            exit(0)
        default: usage()
        }
    }
    return listen
}

let (host, port) = parseListen()

/// An error answered with Courier's error object shape.
struct CeilingError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var code: Int
    var details: String

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: JSONValue = [
            "errors": .array([["code": .integer(Int64(code)), "details": .string(details)]]),
            "meta": CeilingResponse.meta,
        ]
        return CeilingResponse.json(status, body)
    }
}

enum CeilingResponse {
    static let meta: JSONValue = ["api_status": "stable", "version": "v2.45.1"]

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }
}

/// Like Courier's router middleware (HTTPErrorMapping): one do/catch around the route.
struct PassThroughMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            throw CeilingError(status: error.status, code: 1025, details: error.body ?? "request failed")
        }
    }
}

/// Like Courier's ConventionsResponder: a request id and the `Server` header on every response.
struct ConventionsLikeResponder<Wrapped: HTTPResponder<BasicRequestContext>>: HTTPResponder {
    typealias Context = BasicRequestContext
    let router: Wrapped
    static var serverName: String { "Courier-Ceiling/0.1.0" }

    func respond(to request: Request, context: Context) async throws -> Response {
        var generator = SystemRandomNumberGenerator()
        let requestID = request.headers[.init("X-Request-Id")!] ?? String(generator.next() as UInt64, radix: 16)
        var response: Response
        do {
            response = try await router.respond(to: request, context: context)
        } catch let error as CeilingError {
            response = try error.response(from: request, context: context)
        } catch let error as HTTPError {
            response = try CeilingError(status: error.status, code: 1025, details: error.body ?? "request failed")
                .response(from: request, context: context)
        }
        response.headers[.init("X-Request-Id")!] = requestID
        response.headers[.server] = Self.serverName
        return response
    }
}

let bodyLimit = 1 << 20
let router = Router(context: BasicRequestContext.self)
router.add(middleware: PassThroughMiddleware())
router.get("/v1/health") { _, _ -> Response in
    CeilingResponse.json(.ok, ["health": ["gateway_status": "connected"], "meta": CeilingResponse.meta])
}
router.post("/v1/messages") { request, _ -> Response in
    var request = request
    if let contentType = request.headers[.contentType], !contentType.isEmpty {
        let mediaType = contentType.split(separator: ";").first.map { $0.filter { $0 != " " && $0 != "\t" }.lowercased() }
        guard mediaType == "application/json" else {
            throw CeilingError(status: .unsupportedMediaType, code: 1025, details: "Content-Type must be application/json")
        }
    }
    let buffer = try await request.collectBody(upTo: bodyLimit)
    guard buffer.readableBytes > 0 else { throw CeilingError(status: .badRequest, code: 1008, details: "request body is required") }
    let body: JSONValue
    do {
        body = try buffer.withUnsafeReadableBytes { try JSONParser.parse($0) }
    } catch let error as JSONParser.Error {
        throw CeilingError(status: .badRequest, code: 1025, details: "request body is not valid JSON: \(error)")
    }
    let send: ValidatedSend
    switch SendValidation.validate(body) {
    case .success(let valid): send = valid
    case .failure(let failure):
        let first = failure.problems[0]
        throw CeilingError(status: .badRequest, code: first.code, details: first.details)
    }
    var generator = SystemRandomNumberGenerator()
    let id = MessageID.outbound(to: send.to, random: (generator.next(), generator.next()))
    return CeilingResponse.json(.created, ["messages": [["id": .string(id)]], "meta": CeilingResponse.meta])
}

let application = Application(
    responder: ConventionsLikeResponder(router: router.buildResponder()),
    configuration: ApplicationConfiguration(address: .hostname(host, port: port), backlog: 1024),
    onServerRunning: { channel in
        FileHandle.standardOutput.write(Data("listening on \(host):\(channel.localAddress?.port ?? port)\n".utf8))
    })
try await application.runService()
