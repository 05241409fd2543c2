/// The sharding rule of cluster.md §2: FNV-1a 64 over the UTF-8 bytes of the normalized `wa_id`.
///
/// Fixed forever and identical in every process; never Swift's per-process seeded `Hasher`.
public enum ShardHash {
    public static func fnv1a64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    public static func fnv1a64(_ string: String) -> UInt64 { fnv1a64(string.utf8) }

    /// The shard owning `waID` when the deployment has `shardCount` shards (1, 2, 4, 8, 16 or 32).
    public static func shard(of waID: String, shardCount: Int) -> UInt16 {
        precondition(ShardCount.allowed.contains(shardCount), "shard count \(shardCount) is not a power of two ≤ 32")
        return UInt16(fnv1a64(waID) % UInt64(shardCount))
    }
}

public enum ShardCount {
    /// The values `POST /v1/account/shards` accepts (api.md §4.4).
    public static let allowed: Set<Int> = [1, 2, 4, 8, 16, 32]
}
