/// The password rules of api.md §3.1, checked on creation and every change.
public enum PasswordPolicy: Sendable {
    public static let minimumLength = 8
    public static let maximumLength = 64
    /// The special characters the spec lists: every printable ASCII character that is not a letter, digit or space.
    public static let specialCharacters = ##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##

    /// Nil when `password` satisfies the policy, else the first rule it breaks, worded for the error's details.
    ///
    /// Length counts characters as a user sees them; other rules look at ASCII only, as the spec does.
    public static func check(_ password: String) -> String? {
        let scalars = password.unicodeScalars
        if !(minimumLength...maximumLength).contains(password.count) {
            return "password must be \(minimumLength) to \(maximumLength) characters long"
        }
        if !scalars.contains(where: { ("0"..."9").contains($0) }) {
            return "password must contain a digit"
        }
        if !scalars.contains(where: { ("A"..."Z").contains($0) }) {
            return "password must contain an upper-case ASCII letter"
        }
        if !scalars.contains(where: { ("a"..."z").contains($0) }) {
            return "password must contain a lower-case ASCII letter"
        }
        if !scalars.contains(where: { specialCharacters.unicodeScalars.contains($0) }) {
            return "password must contain a special character from \(specialCharacters)"
        }
        return nil
    }
}
