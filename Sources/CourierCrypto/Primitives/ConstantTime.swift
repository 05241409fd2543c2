import COpenSSL

/// Comparisons whose running time does not depend on where the inputs differ.
enum ConstantTime {
    /// Whether `lhs` and `rhs` are equal, comparing every byte with CRYPTO_memcmp.
    ///
    /// Different lengths return false at once: callers compare fixed-length values (digests, derived keys) or
    /// hash variable-length ones first.
    static func equals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                CRYPTO_memcmp(left.baseAddress, right.baseAddress, lhs.count) == 0
            }
        }
    }
}
