-- ATT-1: the attestation the pre-update gate took for a target before its order was issued
-- (DeploymentScheduler.attest): one the wave asked (BEFORE_UPDATE) or the device's newest one
-- asked since the wave started (a scheduled pass, an operator's). Recorded so that the
-- integrity evidence reads which one it was rather than inferring it from timestamps set by
-- different clocks at different moments. NULL for a recovery's orders (no gate) and for orders
-- issued before this version.
ALTER TABLE deployment_targets ADD COLUMN gate_attestation_id VARCHAR(40);
