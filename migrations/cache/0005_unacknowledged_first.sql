-- Within a priority, triggered (unacknowledged) incidents now list above acknowledged ones:
-- open incidents rank 2 × priority − 1 when triggered, 2 × priority when acknowledged (1–8);
-- resolved ones keep rank 9.
UPDATE incidents
SET rank = 2 * rank - (json_extract(doc, '$.status') = 'triggered')
WHERE rank < 9;
