-- Postmortem drafts as typed, journaled within 250 ms of every edit, so the next start restores
-- them after a crash, `kill -9` or a dropped SSH session. A draft stays until the backend has
-- exactly its text; a server reset never removes one.
CREATE TABLE drafts (
    id  TEXT PRIMARY KEY, -- the postmortem id, PM-1042
    doc TEXT NOT NULL     -- JSON: incident, base version, title, body, when journaled
);
