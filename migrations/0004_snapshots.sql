-- Shard snapshots replicated by message GC (eventlog.md §6–7): a stream's state as of seq, so the
-- stream's event rows up to it can be deleted and a rebuild from PostgreSQL starts here.
CREATE TABLE snapshots (
    shard       integer  NOT NULL,
    seq         bigint   NOT NULL,          -- the state covers the stream up to this seq
    epoch       bigint   NOT NULL,
    time_us     bigint   NOT NULL,
    format      smallint NOT NULL,          -- state format version
    payload     bytea    NOT NULL,
    checksum    bigint   NOT NULL,          -- CRC32C of payload
    node_key    text     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shard, seq)
);
