-- Drift and quality data: models, feature windows and quality points as JSON documents.
-- `at` is the window start in Unix seconds (0 for models); old windows are pruned by it.
CREATE TABLE monitoring (
    kind TEXT    NOT NULL,
    id   TEXT    NOT NULL,
    at   INTEGER NOT NULL,
    doc  TEXT    NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX monitoring_at ON monitoring (kind, at);
