-- Tickets, and queued actions on any kind of item (incidents and tickets).

-- Tickets as the server last confirmed them. Few enough to load whole; `open` puts the open
-- ones first, `sort_at` (last change, ms) orders the rest.
CREATE TABLE tickets (
    key     TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL,
    open    INTEGER NOT NULL,
    sort_at INTEGER NOT NULL,
    doc     TEXT    NOT NULL
);
CREATE INDEX tickets_order ON tickets (open DESC, sort_at DESC);

-- An outbox entry names its item and carries a command tagged with the item's kind. Entries
-- queued by an earlier opsdeck were all on incidents: tag them so, keeping every one.
ALTER TABLE outbox RENAME COLUMN incident_id TO target_id;
UPDATE outbox SET action = json_object('kind', 'incident', 'action', json(action));
UPDATE outbox_rejected
SET entry = json_set(
    json_remove(entry, '$.incident_id'),
    '$.target_id', json_extract(entry, '$.incident_id'),
    '$.action', json_object('kind', 'incident', 'action', json(json_extract(entry, '$.action')))
)
WHERE json_extract(entry, '$.incident_id') IS NOT NULL;
