-- The attestation scheduler reads the due devices of a batch, 500 at a time, in
-- next_attestation_at, id order (AttestationScheduler.DUE), then locks them (claim). With an
-- index of next_attestation_at alone the database sorted every due device to return 500:
-- 100,000 due after a restart, 200 batches (docs/BENCHMARKS.md, issue 15: 100,000 NEs). With
-- the whole order in the index the read stops at its 500th row (H2 2.3: scanCount 500).
CREATE INDEX devices_next_attestation_id ON devices (next_attestation_at, id);
DROP INDEX devices_next_attestation;
