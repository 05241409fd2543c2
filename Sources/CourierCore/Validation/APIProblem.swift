/// One validation failure: an error code of api.md §15 and details naming the JSON path.
public struct APIProblem: Hashable, Sendable, CustomStringConvertible {
    public var code: Int
    public var details: String

    public init(code: Int, details: String) {
        self.code = code
        self.details = details
    }

    public var description: String { "\(code): \(details)" }

    /// Titles of api.md §15, the only ones Courier sends.
    public static func title(of code: Int) -> String {
        switch code {
        case 400: "Media download error"
        case 1000: "Generic error"
        case 1001: "Message too long"
        case 1002: "Invalid recipient type"
        case 1004: "Resource already exists"
        case 1005: "Access denied"
        case 1006: "Resource not found"
        case 1008: "Required parameter is missing"
        case 1009: "Parameter value is not valid"
        case 1010: "Parameter is not required"
        case 1011: "Service not ready"
        case 1013: "User is not valid"
        case 1014: "Internal error"
        case 1015: "Too many requests"
        case 1016: "System overloaded"
        case 1017: "Not Primary Master"
        case 1018: "Not Primary Coreapp"
        case 1021: "Bad user"
        case 1023: "Database error occurred"
        case 1024: "Password Change Required"
        case 1025: "Invalid Request"
        case 2004: "Template Param Length Too Long"
        case 2014: "Expected Namespace is Empty"
        case 2015: "Invalid number of sections"
        case 2016: "Invalid number of rows"
        case 2023: "Invalid number of product"
        default: "Generic error"
        }
    }
}

/// The problems one validation pass found: at most 10, the first one first (api.md §1.4).
public struct ValidationFailure: Error, Hashable, Sendable {
    public var problems: [APIProblem]

    public init(_ problems: [APIProblem]) {
        precondition(!problems.isEmpty, "a validation failure needs a problem")
        self.problems = Array(problems.prefix(10))
    }
}
