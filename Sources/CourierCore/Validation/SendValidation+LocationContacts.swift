extension SendValidation.Checker {
    /// `{latitude, longitude, name?, address?}` (api.md §6.1); coordinates may be numeric strings (§1.5).
    mutating func location(_ value: JSONValue?, at path: String) {
        guard let location = object(value, at: path) else { return }
        _ = number(location["latitude"], at: "\(path).latitude", in: -90...90)
        _ = number(location["longitude"], at: "\(path).longitude", in: -180...180)
        _ = string(location["name"], at: "\(path).name", required: false, length: 0...1000)
        _ = string(location["address"], at: "\(path).address", required: false, length: 0...1000)
    }

    /// `contacts: [contact]`, 1–100 of them (api.md §6.1). Unlike every other type this is an array.
    mutating func contacts(_ value: JSONValue?, at path: String) {
        guard let contacts = array(value, at: path) else { return }
        if !(1...100).contains(contacts.count) {
            report(1009, "\(path) must have 1 to 100 contacts, not \(contacts.count)")
        }
        for (index, contact) in contacts.prefix(100).enumerated() {
            self.contact(contact, at: "\(path)[\(index)]")
        }
    }

    /// The string members of a contact's parts, as the original documents them; others are ignored.
    private static let contactParts: [(key: String, members: [String])] = [
        ("addresses", ["street", "city", "state", "zip", "country", "country_code", "type"]),
        ("emails", ["email", "type"]),
        ("phones", ["phone", "type", "wa_id"]),
        ("urls", ["url", "type"]),
        ("ims", ["service", "user_id"]),
    ]
    private static let nameMembers = ["first_name", "last_name", "middle_name", "suffix", "prefix"]
    private static let orgMembers = ["company", "department", "title"]

    private mutating func contact(_ value: JSONValue, at path: String) {
        guard let contact = object(value, at: path) else { return }
        if let name = object(contact["name"], at: "\(path).name") {
            _ = string(name["formatted_name"], at: "\(path).name.formatted_name")
            optionalStrings(Self.nameMembers, of: name, at: "\(path).name")
        }
        if let birthday = string(contact["birthday"], at: "\(path).birthday", required: false, length: 0...Int.max),
            !SendValidation.isCalendarDate(birthday)
        {
            report(1009, "\(path).birthday must be a date as YYYY-MM-DD")
        }
        if let org = object(contact["org"], at: "\(path).org", required: false) {
            optionalStrings(Self.orgMembers, of: org, at: "\(path).org")
        }
        for part in Self.contactParts {
            guard let entries = array(contact[part.key], at: "\(path).\(part.key)", required: false) else { continue }
            for (index, entry) in entries.enumerated() {
                let entryPath = "\(path).\(part.key)[\(index)]"
                if let entry = object(entry, at: entryPath) { optionalStrings(part.members, of: entry, at: entryPath) }
            }
        }
    }

    private mutating func optionalStrings(_ keys: [String], of object: JSONObject, at path: String) {
        for key in keys {
            _ = string(object[key], at: "\(path).\(key)", required: false, length: 0...Int.max)
        }
    }
}

extension SendValidation {
    /// `YYYY-MM-DD` naming a real Gregorian day (so `2023-02-29` is refused).
    static func isCalendarDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), (1...12).contains(month)
        else { return false }
        let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthLengths = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...monthLengths[month - 1]).contains(day)
    }
}
