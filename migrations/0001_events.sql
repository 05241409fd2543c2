-- Courier schema 1: the replicated event log, its watermarks, and coordination tables.
-- PostgreSQL holds every replicated event; nothing here is authoritative except what the
-- events say (eventlog.md §1, §6).

CREATE TABLE events (
    shard       integer  NOT NULL,          -- 0–31, 65535 = control stream
    seq         bigint   NOT NULL,          -- per-stream, gap-free, from 1
    epoch       bigint   NOT NULL,          -- ownership term (fencing)
    time_us     bigint   NOT NULL,          -- writer timestamp, µs since the Unix epoch
    kind        smallint NOT NULL,          -- eventlog.md §2 codes
    payload     bytea    NOT NULL,
    checksum    bigint   NOT NULL,          -- the record's CRC32C
    PRIMARY KEY (shard, seq)
);

-- The replicated seq of each stream, advanced in the same transaction as the rows it covers.
CREATE TABLE stream_watermarks (
    shard           integer PRIMARY KEY,
    replicated_seq  bigint  NOT NULL,
    replicated_time_us bigint NOT NULL,
    node_key        text    NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Records that disagree with an already replicated record at the same position.
CREATE TABLE divergences (
    shard       integer NOT NULL,
    seq         bigint  NOT NULL,
    node_key    text    NOT NULL,
    local_checksum  bigint NOT NULL,
    stored_checksum bigint NOT NULL,
    detected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shard, seq, node_key)
);

-- The shard map: current owner and epoch of every stream (cluster.md §4).
CREATE TABLE shard_map (
    shard       integer PRIMARY KEY,
    epoch       bigint  NOT NULL,
    owner       text    NOT NULL,
    shard_count integer NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE nodes (
    node_key     text PRIMARY KEY,
    role         text NOT NULL,
    address      text,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE leases (
    name        text PRIMARY KEY,               -- 'master'
    holder      text NOT NULL,
    epoch       bigint NOT NULL,
    expires_at  timestamptz NOT NULL
);
