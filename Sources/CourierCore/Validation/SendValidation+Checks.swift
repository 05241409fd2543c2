extension SendValidation {
    /// The problems of one validation pass, each naming the JSON path it is about (api.md §1.4).
    ///
    /// Every check takes the member as `JSONValue?` and treats a JSON `null` like an absent member, as
    /// the common fields do. A check that reports a problem returns nil, so callers never stack a
    /// second problem onto a value already known to be wrong.
    struct Checker {
        /// api.md §1.4 reports at most 10; collecting more would only cost time on hostile bodies.
        static let problemLimit = 10

        private(set) var problems: [APIProblem] = []

        mutating func report(_ code: Int, _ details: String) {
            guard problems.count < Self.problemLimit else { return }
            problems.append(APIProblem(code: code, details: details))
        }

        /// The member as given, or nil for absent and `null` (optional fields, api.md §6.1).
        static func present(_ value: JSONValue?) -> JSONValue? {
            if case .null? = value { return nil }
            return value
        }

        /// Reports 1008 for an absent required member; returns the member if there is one.
        private mutating func presence(_ value: JSONValue?, at path: String, required: Bool) -> JSONValue? {
            guard let value = Self.present(value) else {
                if required { report(1008, "\(path) is required") }
                return nil
            }
            return value
        }

        mutating func object(_ value: JSONValue?, at path: String, required: Bool = true) -> JSONObject? {
            guard let value = presence(value, at: path, required: required) else { return nil }
            guard case .object(let object) = value else {
                report(1009, "\(path) must be an object, not \(value.typeName)")
                return nil
            }
            return object
        }

        mutating func array(_ value: JSONValue?, at path: String, required: Bool = true) -> [JSONValue]? {
            guard let value = presence(value, at: path, required: required) else { return nil }
            guard case .array(let elements) = value else {
                report(1009, "\(path) must be an array, not \(value.typeName)")
                return nil
            }
            return elements
        }

        /// A string whose length in Unicode scalars (api.md §1.5) lies in `length`; a longer one reports
        /// `tooLongCode` (1001 for a text body, 2004 for a template text parameter), any other fault 1009.
        mutating func string(
            _ value: JSONValue?,
            at path: String,
            required: Bool = true,
            length: ClosedRange<Int> = 1...Int.max,
            tooLongCode: Int = 1009
        ) -> String? {
            guard let value = presence(value, at: path, required: required) else { return nil }
            guard case .string(let string) = value else {
                report(1009, "\(path) must be a string, not \(value.typeName)")
                return nil
            }
            let count = string.unicodeScalars.count
            if count > length.upperBound {
                report(tooLongCode, "\(path) is longer than \(length.upperBound) characters")
                return nil
            }
            if count < length.lowerBound {
                let reason =
                    length.lowerBound == 1 ? "must not be empty" : "is shorter than \(length.lowerBound) characters"
                report(1009, "\(path) \(reason)")
                return nil
            }
            return string
        }

        /// A string out of a fixed set, matched exactly (the original's enum values are lowercase).
        mutating func oneOf(
            _ value: JSONValue?,
            at path: String,
            in allowed: [String],
            required: Bool = true
        ) -> String? {
            guard let string = string(value, at: path, required: required, length: 0...Int.max) else { return nil }
            guard allowed.contains(string) else {
                let expected = allowed.count == 1 ? allowed[0] : "one of \(allowed.joined(separator: ", "))"
                report(1009, "\(path) must be \(expected)")
                return nil
            }
            return string
        }

        /// An integer, also as a JSON string (api.md §1.5: `"index": "1"`).
        mutating func integer(
            _ value: JSONValue?,
            at path: String,
            in range: ClosedRange<Int64>,
            required: Bool = true
        ) -> Int64? {
            guard let value = presence(value, at: path, required: required) else { return nil }
            guard let number = LenientValue.integer(value) else {
                report(1009, "\(path) must be an integer")
                return nil
            }
            guard range.contains(number) else {
                report(1009, "\(path) must be between \(range.lowerBound) and \(range.upperBound)")
                return nil
            }
            return number
        }

        /// A number, also as a JSON string (api.md §1.5: `"latitude": "37.48"`).
        mutating func number(
            _ value: JSONValue?,
            at path: String,
            in range: ClosedRange<Double>,
            required: Bool = true
        ) -> Double? {
            guard let value = presence(value, at: path, required: required) else { return nil }
            guard let number = LenientValue.double(value) else {
                report(1009, "\(path) must be a number")
                return nil
            }
            guard range.contains(number) else {
                report(
                    1009,
                    "\(path) must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound))"
                )
                return nil
            }
            return number
        }

        /// `-90` rather than `-90.0`: the bounds in details read like the spec's.
        private static func format(_ bound: Double) -> String {
            bound.rounded() == bound && abs(bound) < 1e15 ? String(Int64(bound)) : String(bound)
        }
    }
}
