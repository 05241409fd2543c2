import CourierCore

/// The control stream's part of compaction on PostgreSQL (eventlog.md §7): its snapshots go to the
/// `snapshots` table under stream id `Record.controlShard`, like a shard's, and its event rows up to the
/// newest one are deleted in the same bounded batches. Whatever rebuilds the control state from
/// PostgreSQL starts from that snapshot, then folds the remaining rows.
extension PostgresCompaction {
    /// The newest stored control snapshot: seq and state. A snapshot whose state does not say it covers
    /// its own seq is refused, as replay refuses a local one.
    public static func newestControlSnapshot(_ connection: PGConnection) throws -> (seq: UInt64, state: ControlState)? {
        guard let (seq, payload) = try newestSnapshotPayload(connection, stream: Record.controlShard) else { return nil }
        let state = try ControlState(snapshot: payload)
        guard state.appliedSeq == seq else {
            throw StoreError(.query, "control snapshot at \(seq) holds the state as of seq \(state.appliedSeq)")
        }
        return (seq, state)
    }
}
