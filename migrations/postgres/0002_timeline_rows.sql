-- Incident timelines as rows, as on SQLite (migrations/server/0002): a note appends one row
-- instead of rewriting the whole document. `n` is the event's place in the timeline (from 0),
-- `seq` the entities.seq of the write that last changed it.
CREATE TABLE events (
    incident TEXT   NOT NULL,
    n        BIGINT NOT NULL,
    seq      BIGINT NOT NULL,
    event    TEXT   NOT NULL,
    PRIMARY KEY (incident, n)
);

INSERT INTO events (incident, n, seq, event)
SELECT e.id, t.ord - 1, e.seq, t.value::text
FROM entities e, jsonb_array_elements(e.doc::jsonb -> 'timeline') WITH ORDINALITY AS t(value, ord)
WHERE e.kind = 'incident';

UPDATE entities SET doc = (doc::jsonb - 'timeline')::text WHERE kind = 'incident';
