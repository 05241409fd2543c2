/// The table printed at the end: each figure, its goal if it has one, and whether this machine met it.
struct BenchReport {
    struct Row {
        var measure: String
        var figure: String
        var goal = ""
        /// nil when there is no goal or no baseline to judge by.
        var met: Bool? = nil
    }

    private(set) var sections: [(title: String, rows: [Row])] = []
    /// Printed under the table: what a reader needs to judge a figure.
    var notes: [String] = []

    mutating func section(_ title: String, _ rows: [Row]) {
        sections.append((title, rows))
    }

    func render() -> String {
        let widths = columnWidths()
        var lines: [String] = []
        let header = [pad("measure", widths.0), pad("figure", widths.1), pad("goal", widths.2), "result"]
        lines.append(header.joined(separator: "  "))
        lines.append(String(repeating: "-", count: widths.0 + widths.1 + widths.2 + 12))
        for (title, rows) in sections {
            lines.append(title)
            for row in rows {
                let result = row.met.map { $0 ? "PASS" : "MISS" } ?? ""
                let cells = [
                    pad("  " + row.measure, widths.0), pad(row.figure, widths.1), pad(row.goal, widths.2), result,
                ]
                lines.append(cells.joined(separator: "  ").trailingSpacesRemoved)
            }
        }
        lines += notes.map { "note: " + $0 }
        return lines.joined(separator: "\n")
    }

    private func columnWidths() -> (Int, Int, Int) {
        let rows = sections.flatMap(\.rows)
        return (
            max(rows.map { $0.measure.count + 2 }.max() ?? 0, sections.map(\.title.count).max() ?? 0, 7),
            max(rows.map(\.figure.count).max() ?? 0, 6),
            max(rows.map(\.goal.count).max() ?? 0, 4)
        )
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(width - text.count, 0))
    }
}

extension String {
    fileprivate var trailingSpacesRemoved: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

/// Number formatting for the table, independent of the locale.
enum Format {
    /// 1234567.8 → "1,234,568".
    static func count(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var grouped = ""
        for (offset, digit) in digits.reversed().enumerated() {
            if offset > 0 && offset % 3 == 0 && digit != "-" { grouped.append(",") }
            grouped.append(digit)
        }
        return String(grouped.reversed())
    }

    /// A value with `places` decimals: 3.14159, 2 → "3.14".
    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard places > 0 else { return sign + String(whole) }
        return sign + String(whole) + "." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    /// Nanoseconds as milliseconds with enough decimals for sub-millisecond acks.
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let value = Double(nanoseconds) / 1e6
        return decimal(value, places: value < 10 ? 2 : 1)
    }

    static func ratio(_ value: Double) -> String {
        decimal(value, places: value < 10 ? 2 : 1) + "×"
    }
}
