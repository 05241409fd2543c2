-- Courier schema 3: the messages projection is maintained in its own transactions, after the events
-- it reads are replicated, so a catch-up ships events first and projects them once caught up.

-- How far each stream's events are folded into the `messages` projection.
CREATE TABLE projection_watermarks (
    shard           integer PRIMARY KEY,
    projected_seq   bigint  NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Until schema 3 the projection was maintained in the shipping transaction: it covers exactly what
-- was replicated.
INSERT INTO projection_watermarks (shard, projected_seq)
SELECT shard, replicated_seq FROM stream_watermarks;
