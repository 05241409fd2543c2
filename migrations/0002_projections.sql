-- Courier schema 2: query-friendly projections maintained from replicated events.
-- They are never a source of truth (eventlog.md §6).

CREATE TABLE messages (
    id          text PRIMARY KEY,
    shard       integer NOT NULL,
    direction   text    NOT NULL,               -- 'outbound' or 'inbound'
    wa_id       text    NOT NULL,
    type        text    NOT NULL,
    status      text    NOT NULL,               -- accepted, sent, delivered, read, failed, deleted
    status_rank smallint NOT NULL,
    created_us  bigint  NOT NULL,
    status_us   bigint  NOT NULL,
    seq         bigint  NOT NULL
);
CREATE INDEX messages_wa_id ON messages (wa_id);

CREATE TABLE users (
    username    text PRIMARY KEY,
    role        text NOT NULL,
    updated_us  bigint NOT NULL
);

CREATE TABLE settings (
    section     text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_us  bigint NOT NULL
);
