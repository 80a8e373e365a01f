-- The history of routine passes (AttestationHistory, docs/ATTESTATION.md "History of routine
-- passes"): scheduled passes leave the table after --attest-pass-history once a newer one of the
-- NE passed, except those listed here. A scheduled pass is listed when it mattered: it changed
-- the NE's trust or committed reference (so the audit chain names it, Pve.audited), or a
-- deployment's wave took it as the NE's attestation before the update (ATT-1). A table of its
-- own rather than a column: adding a column makes H2 copy the whole attestations table at the
-- upgrade, and the rare paths that list a pass should not touch the routine one's row.
CREATE TABLE attestations_kept (
  id VARCHAR(40) PRIMARY KEY
);

-- Only passes judged after this moment ever leave: whether an older one mattered was not
-- recorded, so every row judged before the upgrade stays. One row.
CREATE TABLE attestation_history (
  floor_at TIMESTAMP WITH TIME ZONE NOT NULL
);
INSERT INTO attestation_history (floor_at) VALUES (CURRENT_TIMESTAMP);
