-- The reference Ops API server's database.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Every entity as a JSON document. `seq` is a global change counter: each write gives the
-- entity the next value, so `/v1/changes?since=N` is `seq > N ORDER BY seq`.
CREATE TABLE entities (
    kind TEXT    NOT NULL,
    id   TEXT    NOT NULL,
    seq  INTEGER NOT NULL,
    open INTEGER,
    doc  TEXT    NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX entities_seq ON entities (seq);
CREATE INDEX entities_open ON entities (kind, open);

-- The response given for each (user, Idempotency-Key), replayed when the key comes again.
CREATE TABLE idempotency (
    user_name   TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_name, key)
);

CREATE INDEX idempotency_created ON idempotency (created_at);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
