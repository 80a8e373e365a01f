-- Crash-safe certificate renewal (issue 14, docs/DEPLOYMENTS.md "Renewal"): the certificate a
-- renewal replaced stays admitted until the device first authenticates with the new one or
-- until prev_cert_until (a bounded grace), so that a response lost to a crash, a full disk or a
-- power cut does not lock the device out. NULL: no renewal awaits its first use.
ALTER TABLE devices ADD COLUMN prev_cert_serial VARCHAR(64);
ALTER TABLE devices ADD COLUMN prev_cert_until TIMESTAMP WITH TIME ZONE;
-- SHA-256 (hex) of the public key (SubjectPublicKeyInfo DER) that cert_serial certifies: a
-- renewal retried with the previous certificate is taken only for this key, so that a stolen
-- previous key cannot get its own key certified during the grace. NULL for a device enrolled
-- before this column (no renewal of it awaits its first use).
ALTER TABLE devices ADD COLUMN cert_key_sha256 VARCHAR(64);
