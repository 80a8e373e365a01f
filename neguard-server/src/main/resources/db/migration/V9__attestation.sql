-- Platform integrity validation and recovery (issue 15, docs/ATTESTATION.md): the validation
-- entity's nonces and verdicts, each device's committed reference, operator-approved platform
-- baselines, the failure policies per NE type, TPM bindings, and what deployments add for ATT-1
-- to ATT-4. As everywhere: nothing that matters lives in memory, so replicas share it.

-- trust_state: unknown (enrolled, not yet attested good), trusted, untrusted (first contact
-- failed: software without a signed RIM, or measurements not the reference), quarantined (a
-- failure after it was trusted; no deployments but recovery), disabled.
ALTER TABLE devices ADD COLUMN trust_reason VARCHAR(2000) DEFAULT '' NOT NULL;
ALTER TABLE devices ADD COLUMN trust_changed_at TIMESTAMP WITH TIME ZONE;
-- The last attestation that passed, and when the runtime schedule (OBJ-2) asks next.
ALTER TABLE devices ADD COLUMN attested_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE devices ADD COLUMN next_attestation_at TIMESTAMP WITH TIME ZONE;
CREATE INDEX devices_next_attestation ON devices (next_attestation_at);

-- One row per nonce the validation entity issued, judged once. result is null while the
-- evidence is awaited; PASS, FAIL, PENDING_BASELINE, NO_REFERENCE or EXPIRED after. The unique
-- nonce and the conditional UPDATE (WHERE judged_at IS NULL) make a nonce usable once.
-- reason: FIRST_CONTACT, SCHEDULED, REQUESTED, BEFORE_UPDATE, AFTER_UPDATE, READMISSION.
CREATE TABLE attestations (
  id VARCHAR(40) PRIMARY KEY,
  device_id VARCHAR(64) NOT NULL REFERENCES devices (id),
  nonce VARCHAR(128) NOT NULL,
  reason VARCHAR(24) NOT NULL,
  deployment_id VARCHAR(40),
  order_id VARCHAR(40),
  requested_by VARCHAR(64) NOT NULL,
  requested_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  judged_at TIMESTAMP WITH TIME ZONE,
  result VARCHAR(24),
  trust_base VARCHAR(16),
  tim VARCHAR(64),
  reason_codes VARCHAR(1000) DEFAULT '' NOT NULL,
  reason_message VARCHAR(8000) DEFAULT '' NOT NULL
);
CREATE UNIQUE INDEX attestations_nonce ON attestations (nonce);
CREATE INDEX attestations_device ON attestations (device_id, requested_at);
-- The poll's question: is evidence awaited from this device?
CREATE INDEX attestations_device_open ON attestations (device_id, judged_at, expires_at);
CREATE INDEX attestations_order ON attestations (order_id);
CREATE INDEX attestations_deployment ON attestations (deployment_id, result);
CREATE INDEX attestations_open ON attestations (judged_at, expires_at);

-- Each device's committed reference (ATT-4): the per-component list of its last attestation that
-- passed, replaced in the transaction that judged it. ATT-2 computes the expectation after an
-- update from it and the package's signed RIM. reference: VENDOR_SIGNED or OPERATOR_BASELINE.
CREATE TABLE device_references (
  device_id VARCHAR(64) NOT NULL REFERENCES devices (id),
  component VARCHAR(160) NOT NULL,
  reference VARCHAR(24) NOT NULL,
  digest VARCHAR(64) NOT NULL,
  attestation_id VARCHAR(40) NOT NULL,
  PRIMARY KEY (device_id, component)
);

-- Platform components' references: proposed by a device's measurement (first contact, or a
-- change), approved by distinct approvers (four-eyes). state: pending, approved, superseded
-- (a newer baseline of the component was approved), rejected. files: the measured leaves as
-- JSON, so a later mismatch names the file.
CREATE TABLE platform_baselines (
  id VARCHAR(40) PRIMARY KEY,
  device_id VARCHAR(64) NOT NULL REFERENCES devices (id),
  component VARCHAR(160) NOT NULL,
  digest VARCHAR(64) NOT NULL,
  files BYTEA NOT NULL,
  state VARCHAR(16) NOT NULL,
  proposed_at TIMESTAMP WITH TIME ZONE NOT NULL,
  attestation_id VARCHAR(40) NOT NULL,
  decided_at TIMESTAMP WITH TIME ZONE
);
CREATE INDEX platform_baselines_device ON platform_baselines (device_id, component, state);
CREATE INDEX platform_baselines_state ON platform_baselines (state, component, digest);
CREATE TABLE baseline_approvals (
  baseline_id VARCHAR(40) NOT NULL REFERENCES platform_baselines (id),
  approver VARCHAR(64) NOT NULL,
  approved_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (baseline_id, approver)
);

-- REC-1: what a failed attestation sets off, per NE type (actions: comma-separated, in order:
-- quarantine, rollback, reinstall=<package>@<version>). Quarantine is always part of it.
CREATE TABLE attestation_policies (
  ne_type VARCHAR(128) PRIMARY KEY,
  actions VARCHAR(2000) NOT NULL,
  updated_by VARCHAR(64) NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The TPM trust base: the attestation key bound to the device's TPM by credential activation at
-- enrollment, and the PCR it extends (the verifier's choice). A device with a row here must
-- answer with a quote; one without has only its software key.
CREATE TABLE device_tpm_bindings (
  device_id VARCHAR(64) PRIMARY KEY REFERENCES devices (id),
  ek_public_sha256 VARCHAR(64) NOT NULL,
  ak_public BYTEA NOT NULL,
  pcr INTEGER NOT NULL,
  bound_at TIMESTAMP WITH TIME ZONE NOT NULL
);
-- A credential made for a device's AK, awaiting the secret back (one per device at a time).
CREATE TABLE tpm_challenges (
  device_id VARCHAR(64) PRIMARY KEY REFERENCES devices (id),
  ek_public BYTEA NOT NULL,
  ak_public BYTEA NOT NULL,
  secret_sha256 VARCHAR(64) NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Deployments around ATT-1..ATT-4. kind: update, or recovery (a campaign over quarantined NEs,
-- REC-2). A target waits in state 'attesting' until its device passed an attestation asked for
-- after its wave started (ATT-1); its order then carries a nonce and the package's RIM, and the
-- expected TIM after the update (ATT-2) is kept here for the completion evidence (ATT-4).
ALTER TABLE deployments ADD COLUMN kind VARCHAR(16) DEFAULT 'update' NOT NULL;
ALTER TABLE deployments ADD COLUMN attestation_failure_share INTEGER DEFAULT 50 NOT NULL;
ALTER TABLE deployment_targets ADD COLUMN attestation_nonce VARCHAR(128);
ALTER TABLE deployment_targets ADD COLUMN expected_tim VARCHAR(64);
ALTER TABLE deployment_targets ADD COLUMN expected_components BYTEA;
