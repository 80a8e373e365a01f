-- Issue 15, docs/MEASUREMENT.md "The event log" and "EK certificates": whether the bound TPM's
-- endorsement key was certified by a configured manufacturer CA (CERTIFIED) or taken on the
-- device's word (UNVERIFIED: no anchor configured), and the TPM boot and event-log length of the
-- last quote accepted, so that a quote of an older boot (a lower resetCount) or a log shorter
-- than one accepted in the same boot is refused.
ALTER TABLE device_tpm_bindings ADD COLUMN ek_trust VARCHAR(16) DEFAULT 'UNVERIFIED' NOT NULL;
ALTER TABLE device_tpm_bindings ADD COLUMN last_reset_count BIGINT;
ALTER TABLE device_tpm_bindings ADD COLUMN last_restart_count BIGINT;
ALTER TABLE device_tpm_bindings ADD COLUMN last_log_events INTEGER;
ALTER TABLE tpm_challenges ADD COLUMN ek_trust VARCHAR(16) DEFAULT 'UNVERIFIED' NOT NULL;
