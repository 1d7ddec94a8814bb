-- Journaled postmortem drafts belong to the person who typed them: several people may share one
-- data folder (a jump host), and one person's draft must never be restored into another's
-- session. `author` is the console's owner key for its user (see `Session::author`); drafts
-- journaled before this migration have none ('') and are offered to whoever starts next.
CREATE TABLE owned_drafts (
    id     TEXT NOT NULL, -- the postmortem id, PM-1042
    author TEXT NOT NULL,
    doc    TEXT NOT NULL, -- JSON: incident, base version, title, body, when journaled, author
    PRIMARY KEY (id, author)
);
INSERT INTO owned_drafts (id, author, doc) SELECT id, '', doc FROM drafts;
DROP TABLE drafts;
ALTER TABLE owned_drafts RENAME TO drafts;

-- A note typed and not sent (Esc, Ctrl-c, or the console stopped with the prompt open), by
-- incident and author: the next `n` on that incident starts from it, after a restart too.
CREATE TABLE note_drafts (
    incident_id TEXT NOT NULL,
    author      TEXT NOT NULL,
    text        TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (incident_id, author)
);
