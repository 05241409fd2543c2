import CourierCore
import HTTPTypes
import Hummingbird

/// An error the API answers with the spec's error object (api.md §1.4) and status (§15).
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var problems: [APIProblem]
    public var headers: HTTPFields

    public init(status: HTTPResponse.Status? = nil, problems: [APIProblem], headers: HTTPFields = [:]) {
        precondition(!problems.isEmpty, "an API error needs a problem")
        self.status = status ?? Self.defaultStatus(of: problems[0].code)
        self.problems = problems
        self.headers = headers
    }

    public init(_ code: Int, _ details: String, status: HTTPResponse.Status? = nil, headers: HTTPFields = [:]) {
        self.init(status: status, problems: [APIProblem(code: code, details: details)], headers: headers)
    }

    public init(_ failure: ValidationFailure) {
        self.init(problems: failure.problems)
    }

    /// The HTTP status api.md §15 lists for a code.
    public static func defaultStatus(of code: Int) -> HTTPResponse.Status {
        switch code {
        case 1000, 1014: .internalServerError
        case 1004: .conflict
        case 1005, 1024: .unauthorized
        case 1006: .notFound
        case 1011, 1016, 1017, 1018, 1023: .serviceUnavailable
        case 1015: .tooManyRequests
        default: .badRequest
        }
    }

    var body: JSONValue {
        .object([
            "errors": .array(
                problems.map { problem in
                    [
                        "code": .integer(Int64(problem.code)), "title": .string(APIProblem.title(of: problem.code)),
                        "details": .string(problem.details),
                    ]
                }),
            "meta": APIResponse.meta,
        ])
    }

    public var response: Response {
        APIResponse.jsonValue(status, body, headers: headers)
    }
}
