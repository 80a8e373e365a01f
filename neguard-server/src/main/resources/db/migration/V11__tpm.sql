-- The TPM trust base (issue 15, docs/MEASUREMENT.md "The binding protocol"): one TPM attests for
-- one device. The server checks it before binding; the unique index settles two devices
-- activating with the same endorsement key at the same moment (their rows are locked apart).
CREATE UNIQUE INDEX device_tpm_bindings_ek ON device_tpm_bindings (ek_public_sha256);
