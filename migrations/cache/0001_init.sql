-- The console's local cache of one backend.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Incidents as the server last confirmed them. `rank` and `sort_at` give the list order:
-- open incidents by priority (1–4) then newest first, resolved ones (rank 9) most recent first.
CREATE TABLE incidents (
    id      TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL,
    rank    INTEGER NOT NULL,
    sort_at INTEGER NOT NULL,
    doc     TEXT    NOT NULL
);
CREATE INDEX incidents_order ON incidents (rank, sort_at DESC, id);

-- Other entities (services, escalation policies) as JSON documents.
CREATE TABLE entities (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    doc  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);

-- Actions taken and not yet answered, in order. Written before the first send.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT    NOT NULL UNIQUE,
    incident_id  TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    base_version INTEGER NOT NULL,
    epoch        TEXT,
    created_at   TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);

-- Actions the backend refused, kept with the reason so nothing typed is lost.
CREATE TABLE outbox_rejected (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT NOT NULL,
    entry       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    rejected_at TEXT NOT NULL
);
