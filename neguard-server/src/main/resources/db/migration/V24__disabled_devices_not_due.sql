-- A disabled device is never attested again (Devices.disable now clears its next time). Those
-- disabled before kept a past next_attestation_at, which every scheduler round's read of due
-- devices, in that column's order, stepped over.
UPDATE devices SET next_attestation_at = NULL WHERE disabled_at IS NOT NULL;
