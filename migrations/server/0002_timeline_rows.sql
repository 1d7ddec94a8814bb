-- Incident timelines as rows: a note appends one row instead of rewriting the whole document,
-- and the change feed can send an incident's events changed after a cursor. `n` is the event's
-- place in the timeline (from 0), `seq` the entities.seq of the write that last changed it.
CREATE TABLE events (
    incident TEXT    NOT NULL,
    n        INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    event    TEXT    NOT NULL,
    PRIMARY KEY (incident, n)
);

INSERT INTO events (incident, n, seq, event)
SELECT e.id, CAST(t.key AS INTEGER), e.seq, t.value
FROM entities e, json_each(e.doc, '$.timeline') t
WHERE e.kind = 'incident';

-- An incident's document is the rest of it; the timeline is put back when it is read.
UPDATE entities SET doc = json_remove(doc, '$.timeline') WHERE kind = 'incident';
