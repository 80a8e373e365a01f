-- The device's open challenges (Attestations.open, on every poll and answer) were asked for by
-- device_id AND judged_at IS NULL AND expires_at > ?. Three indexes start with device_id or
-- judged_at (H2's own index of the foreign key, attestations_device, attestations_open), and
-- which one the planner took depended on statistics: H2 read every attestation of the device
-- through the foreign key's index after an ANALYZE that saw one row per device, PostgreSQL did
-- the same through attestations_device before any ANALYZE, and every open row of the fleet
-- through attestations_open after a stale one. A partial index would answer on PostgreSQL but
-- H2 has none (nor stored generated columns in PostgreSQL's syntax), so the open rows carry
-- their device in a column of their own, indexed by nothing else: the question names one index.
-- The CHECK keeps the copy true (a writer that forgets it fails rather than hides a challenge;
-- IS NOT NULL because a comparison with NULL would pass a CHECK).
ALTER TABLE attestations ADD COLUMN open_device_id VARCHAR(64);
UPDATE attestations SET open_device_id = device_id WHERE judged_at IS NULL;
ALTER TABLE attestations ADD CONSTRAINT attestations_open_device CHECK
  ((judged_at IS NULL AND open_device_id IS NOT NULL AND open_device_id = device_id)
    OR (judged_at IS NOT NULL AND open_device_id IS NULL));
DROP INDEX attestations_device_open;
CREATE INDEX attestations_device_open ON attestations (open_device_id, expires_at);
