-- The reference Ops API server's database on PostgreSQL: the same tables as on SQLite
-- (migrations/server), shared by every replica.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Every entity as a JSON document. `seq` is a global change counter: each write gives the
-- entity the next value, under the one write turn (an advisory lock), so `/v1/changes?since=N`
-- is `seq > N ORDER BY seq` and no replica's write can become visible under a lower number later.
CREATE TABLE entities (
    kind TEXT    NOT NULL,
    id   TEXT    NOT NULL,
    seq  BIGINT  NOT NULL,
    open BOOLEAN,
    doc  TEXT    NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX entities_seq ON entities (seq);
CREATE INDEX entities_open ON entities (kind, open);

-- The response given for each (user, Idempotency-Key), replayed when the key comes again.
CREATE TABLE idempotency (
    user_name   TEXT   NOT NULL,
    key         TEXT   NOT NULL,
    fingerprint TEXT   NOT NULL,
    status      BIGINT NOT NULL,
    body        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_name, key)
);

CREATE INDEX idempotency_created ON idempotency (created_at);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
