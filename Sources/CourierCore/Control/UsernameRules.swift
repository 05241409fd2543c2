/// Usernames (api.md §3.3 [Courier choice for the character set]): 4–32 characters from `A–Z a–z 0–9 . _ - @`,
/// case-sensitive.
public enum UsernameRules {
    public static let lengthRange = 4...32

    /// Nil when `username` is acceptable, else the rule it breaks, worded for the error's details.
    public static func problem(_ username: String) -> String? {
        let scalars = username.unicodeScalars
        guard lengthRange.contains(scalars.count) else {
            return "username must be \(lengthRange.lowerBound) to \(lengthRange.upperBound) characters long"
        }
        guard scalars.allSatisfy(isAllowed) else {
            return "username may contain only A–Z, a–z, 0–9 and . _ - @"
        }
        return nil
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "-", "@": true
        default: false
        }
    }
}
