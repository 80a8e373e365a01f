-- A scheduled attestation that passed and mattered: it changed the NE's trust or committed
-- reference (so the audit chain names it, Pve.audited), or it let a deployment's wave order the
-- NE (ATT-1). Routine passes leave the table after --attest-pass-history (AttestationHistory);
-- these stay with the rest of the evidence. Set on those rare paths only, never on the routine one.
ALTER TABLE attestations ADD COLUMN kept BOOLEAN DEFAULT FALSE NOT NULL;
