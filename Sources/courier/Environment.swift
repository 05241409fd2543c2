import CourierApp
import CourierStore
import Foundation

/// The only reader of the process environment (operations.md §1): flag > environment > default.
enum Environment {
    static var values: [String: String] { ProcessInfo.processInfo.environment }

    static func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    static func integer(_ name: String, default value: Int, range: ClosedRange<Int> = 0...Int.max) throws -> Int {
        guard let text = string(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw AppError("\(name) must be an integer in \(range.lowerBound)…\(range.upperBound), not '\(text)'")
        }
        return number
    }

    static func flag(_ name: String, default value: Bool) throws -> Bool {
        guard let text = string(name) else { return value }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw AppError("\(name) must be 1/0 or true/false, not '\(text)'")
        }
    }

    /// PostgreSQL from `--db-url`, `COURIER_DB_URL` or `WA_DB_*`; nil when none is set.
    static func database(url: String?) throws -> DatabaseConfiguration? {
        do {
            return try DatabaseConfiguration.from(variables: values, url: url)
        } catch let error as StoreError {
            throw AppError(error.message)
        }
    }

    static func dataDirectory(_ flag: String?) -> String {
        flag ?? string("COURIER_DATA_DIR") ?? "./data"
    }
}

/// Writes one line to stdout unbuffered, so a reader (or a test killing us) sees every line at once.
func writeLine(_ line: String) {
    var bytes = Array(line.utf8)
    bytes.append(0x0A)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Foundation.write(1, $0.baseAddress! + offset, bytes.count - offset) }
        guard written > 0 else { return }
        offset += written
    }
}
