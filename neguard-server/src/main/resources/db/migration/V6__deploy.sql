-- The deployment engine (helper B, docs/DEPLOYMENTS.md "Deployments").
-- Failures of a wave an operator accepted by resuming the deployment after the error threshold
-- paused it: the wave pauses again only when more of its devices fail than were accepted.
ALTER TABLE deployment_waves ADD COLUMN accepted_failures INTEGER DEFAULT 0 NOT NULL;
-- The poll and bundle checks look up a device's live orders by device and state (index
-- deployment_targets_device); the scheduler looks for orders past their validity.
CREATE INDEX deployment_targets_validity ON deployment_targets (deployment_id, state, not_after);
