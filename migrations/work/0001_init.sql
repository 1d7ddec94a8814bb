-- The user's own work, apart from the cache of server data: what cannot be rebuilt from the
-- backend. One file per backend, beside the cache's folder (`work/<backend>.sqlite`).

-- Actions taken and not yet answered, in order. Written before the first send (or, when the
-- disk refuses, kept in memory, sent, and said so until one or the other succeeds).
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT    NOT NULL UNIQUE,
    target_id    TEXT    NOT NULL,
    action       TEXT    NOT NULL, -- JSON: the command, tagged with the item's kind
    base_version INTEGER NOT NULL,
    epoch        TEXT,
    created_at   TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);

-- Actions the backend refused, kept with the reason so nothing typed is lost.
CREATE TABLE outbox_rejected (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT NOT NULL UNIQUE,
    entry       TEXT NOT NULL, -- JSON: the whole outbox entry
    reason      TEXT NOT NULL,
    rejected_at TEXT NOT NULL
);

-- Postmortem drafts as typed, journaled within 250 ms of every edit, by author (several people
-- may share one data folder; `author` is `Session::author`, '' for drafts from before owners).
CREATE TABLE drafts (
    id     TEXT NOT NULL, -- the postmortem id, PM-1042
    author TEXT NOT NULL,
    doc    TEXT NOT NULL, -- JSON: incident, base version, title, body, when journaled, author
    PRIMARY KEY (id, author)
);

-- A note typed and not sent, by incident and author: the next `n` on that incident starts from it.
CREATE TABLE note_drafts (
    incident_id TEXT NOT NULL,
    author      TEXT NOT NULL,
    text        TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (incident_id, author)
);
