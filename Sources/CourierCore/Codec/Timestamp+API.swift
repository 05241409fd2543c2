extension Timestamp {
    /// `2026-11-29 18:05:01+00:00`: the UTC date-time format of `expires_after` (api.md §3.1).
    public var apiDateTime: String {
        let micros = ((microseconds % 1_000_000) + 1_000_000) % 1_000_000
        let rfc3339 = CivilTime(unixSeconds: (microseconds - micros) / 1_000_000).rfc3339
        return rfc3339.replacingFirstT() + "+00:00"
    }

    /// This time moved by `duration`, truncated to whole microseconds.
    public func advanced(by duration: Duration) -> Timestamp {
        let (seconds, attoseconds) = duration.components
        return Timestamp(microseconds: microseconds + seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
    }

    /// Whole seconds from this time until `later`, rounded up; 0 when `later` is not after it.
    public func secondsUntil(_ later: Timestamp) -> Int64 {
        let micros = later.microseconds - microseconds
        return micros <= 0 ? 0 : (micros + 999_999) / 1_000_000
    }
}

extension String {
    fileprivate func replacingFirstT() -> String {
        guard let index = firstIndex(of: "T") else { return self }
        var copy = self
        copy.replaceSubrange(index...index, with: " ")
        return copy
    }
}
