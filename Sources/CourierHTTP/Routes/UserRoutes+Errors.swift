import CourierCore
import CourierShards
import HTTPTypes
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Request parsing and the error mapping of the user routes. Details name the rule or field, never a
/// password or token (api.md §1.4).
extension UserRoutes {
    static func apiError(_ rejection: ControlRejection) -> APIError {
        switch rejection {
        case .invalidCredentials:
            return basicUnauthorized("the username or password is wrong")
        case .passwordChangeRequired:
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = #"Basic realm="Courier""#
            return APIError(
                1024,
                "the admin password must be changed: log in again with new_password",
                headers: headers
            )
        case .tooManyFailures(let seconds):
            var headers = HTTPFields()
            headers[.retryAfter] = String(seconds)
            return APIError(
                1015,
                "too many failed logins for this user from this address; retry in \(seconds) s",
                headers: headers
            )
        case .invalidPassword(let rule):
            return APIError(1009, rule)
        case .userExists:
            return APIError(1004, "Unable to create user. Already exist?")
        case .userNotFound:
            return APIError(1006, "no such user")
        case .adminCannotBeDeleted:
            return APIError(1009, "the admin user cannot be deleted")
        case .invalidSettings(let problems):
            return APIError(problems: problems)
        case .backupUnreadable(let details):
            return APIError(1009, details)
        case .sectionItemNotFound(let name):
            return APIError(1006, "no item named \(name)")
        }
    }

    /// Runs a control call, turning its storage failures into the API's 5xx answers.
    static func perform<Value: Sendable>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as ShardError {
            var retry = HTTPFields()
            retry[.retryAfter] = "1"
            switch error.code {
            case .overloaded:
                throw APIError(1016, "the node is overloaded: \(error.message); retry later", headers: retry)
            case .stopped: throw APIError(1011, "the node is shutting down", headers: retry)
            case .notReplicated:
                throw APIError(
                    1023,
                    "the database did not confirm the change in time; it may still take effect",
                    headers: retry
                )
            case .credentials: throw APIError(1014, "the password could not be hashed; nothing changed")
            default:
                throw APIError(
                    1014,
                    "the change could not be stored; nothing changed",
                    status: .serviceUnavailable,
                    headers: retry
                )
            }
        }
    }

    static func basicUnauthorized(_ details: String) -> APIError {
        Authenticator.unauthorized(details, challenge: #"Basic realm="Courier""#)
    }

    /// `Authorization: Basic base64(user:password)`; the username ends at the first colon.
    static func basicCredentials(_ request: Request) -> (username: String, password: String)? {
        guard let (scheme, encoded) = Authenticator.authorization(request), scheme == "basic",
            encoded.utf8.count <= Authenticator.maximumCredentialLength,
            let data = Data(base64Encoded: encoded), let text = String(validating: Array(data), as: UTF8.self),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    static func object(_ body: JSONValue) throws -> JSONObject {
        guard let object = body.objectValue else { throw APIError(1009, "request body must be a JSON object") }
        return object
    }

    static func optionalString(_ object: JSONObject, _ key: String) throws -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard let string = value.stringValue else { throw APIError(1009, "\(key) must be a string") }
        return string
    }

    static func requiredString(_ object: JSONObject, _ key: String) throws -> String {
        guard let string = try optionalString(object, key) else { throw APIError(1008, "\(key) is required") }
        return string
    }

    /// `POST /v1/users`'s fields, every problem found in one pass (api.md §1.4).
    static func newUser(
        _ object: JSONObject,
        credentials: CredentialOperations
    ) throws -> (username: String, password: String) {
        var problems: [APIProblem] = []
        var fields: [String] = []
        for key in ["username", "password"] {
            do {
                fields.append(try requiredString(object, key))
            } catch let error as APIError {
                problems += error.problems
            }
        }
        if fields.count == 2 {
            if let rule = UsernameRules.problem(fields[0]) { problems.append(APIProblem(code: 1009, details: rule)) }
            if let rule = credentials.passwordProblem(fields[1]) {
                problems.append(APIProblem(code: 1009, details: rule))
            }
        }
        guard problems.isEmpty else { throw APIError(problems: problems) }
        return (fields[0], fields[1])
    }
}
