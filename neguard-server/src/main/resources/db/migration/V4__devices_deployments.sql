-- Devices, enrollment, deployments and signed orders (issue 12, docs/DEPLOYMENTS.md).
-- Every replica sharing the database sees the same state: nothing that matters lives in memory.

-- The server's own keys: the device CA (issues device certificates, purpose 'device-ca') and the
-- order-signing keys (purpose 'order-signing'). Created once, by whichever replica comes first
-- (the primary key settles a race); an order-signing key is retired, never deleted, so that
-- orders it signed stay checkable. The newest unretired key of a purpose is the active one.
CREATE TABLE server_keys (
  kid VARCHAR(128) PRIMARY KEY,
  purpose VARCHAR(32) NOT NULL,
  private_key_pem VARCHAR(8000) NOT NULL,
  public_key_pem VARCHAR(4000) NOT NULL,
  certificate_pem VARCHAR(8000),
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  retired_at TIMESTAMP WITH TIME ZONE
);
CREATE INDEX server_keys_purpose ON server_keys (purpose, created_at);

-- One-time enrollment tokens: only the SHA-256 of the secret is kept. used_at is set by one
-- conditional UPDATE (WHERE used_at IS NULL), so two enrollments with one token cannot both win.
CREATE TABLE enrollment_tokens (
  id VARCHAR(32) PRIMARY KEY,
  secret_sha256 VARCHAR(64) NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  ne_type VARCHAR(128),
  labels VARCHAR(2000) NOT NULL,
  device_id VARCHAR(64),
  used_at TIMESTAMP WITH TIME ZONE,
  used_by_device VARCHAR(64)
);

CREATE TABLE devices (
  id VARCHAR(64) PRIMARY KEY,
  ne_type VARCHAR(128) NOT NULL,
  trust_state VARCHAR(16) NOT NULL,
  enrolled_at TIMESTAMP WITH TIME ZONE NOT NULL,
  enrollment_token VARCHAR(32) NOT NULL,
  cert_serial VARCHAR(64) NOT NULL,
  cert_not_after TIMESTAMP WITH TIME ZONE NOT NULL,
  disabled_at TIMESTAMP WITH TIME ZONE,
  disabled_by VARCHAR(64),
  last_seen TIMESTAMP WITH TIME ZONE
);

CREATE TABLE device_labels (
  device_id VARCHAR(64) NOT NULL REFERENCES devices (id),
  label VARCHAR(128) NOT NULL,
  PRIMARY KEY (device_id, label)
);
CREATE INDEX device_labels_label ON device_labels (label);

-- What a device runs, as it last reported (enrollment, then each successful install).
CREATE TABLE device_packages (
  device_id VARCHAR(64) NOT NULL REFERENCES devices (id),
  name VARCHAR(128) NOT NULL,
  version VARCHAR(128) NOT NULL,
  security_version BIGINT NOT NULL,
  PRIMARY KEY (device_id, name)
);

-- Every device certificate ever issued; a request is admitted only with the device's current
-- serial (devices.cert_serial) and an unrevoked row here.
CREATE TABLE device_certificates (
  serial VARCHAR(64) PRIMARY KEY,
  device_id VARCHAR(64) NOT NULL REFERENCES devices (id),
  issued_at TIMESTAMP WITH TIME ZONE NOT NULL,
  not_after TIMESTAMP WITH TIME ZONE NOT NULL,
  revoked_at TIMESTAMP WITH TIME ZONE,
  revocation_reason VARCHAR(64)
);
CREATE INDEX device_certificates_device ON device_certificates (device_id);

-- state: pending_approval, running, paused, completed, rejected, cancelled, expired.
-- A row is advanced only in a transaction holding its row lock (SELECT ... FOR UPDATE, SKIP
-- LOCKED for the scheduler), so two replicas never advance one deployment at once.
CREATE TABLE deployments (
  id VARCHAR(40) PRIMARY KEY,
  package_name VARCHAR(128) NOT NULL,
  package_version VARCHAR(128) NOT NULL,
  bundle_sha256 VARCHAR(64) NOT NULL,
  bundle_length BIGINT NOT NULL,
  package_ne_type VARCHAR(128) NOT NULL,
  security_version BIGINT NOT NULL,
  state VARCHAR(24) NOT NULL,
  state_reason VARCHAR(2000) NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  required_approvals INTEGER NOT NULL,
  rollback BOOLEAN NOT NULL,
  success_threshold INTEGER NOT NULL,
  error_threshold INTEGER NOT NULL,
  maintenance_window VARCHAR(16),
  current_wave INTEGER NOT NULL,
  wave_count INTEGER NOT NULL
);
CREATE INDEX deployments_state ON deployments (state);

-- state: waiting, running, succeeded, failed (error threshold reached), cancelled.
CREATE TABLE deployment_waves (
  deployment_id VARCHAR(40) NOT NULL REFERENCES deployments (id),
  wave INTEGER NOT NULL,
  size INTEGER NOT NULL,
  state VARCHAR(16) NOT NULL,
  started_at TIMESTAMP WITH TIME ZONE,
  finished_at TIMESTAMP WITH TIME ZONE,
  PRIMARY KEY (deployment_id, wave)
);

-- Four-eyes: one row per approver (the primary key counts an approver once).
CREATE TABLE deployment_approvals (
  deployment_id VARCHAR(40) NOT NULL REFERENCES deployments (id),
  approver VARCHAR(64) NOT NULL,
  approved_at TIMESTAMP WITH TIME ZONE NOT NULL,
  rollback_acknowledged BOOLEAN NOT NULL,
  PRIMARY KEY (deployment_id, approver)
);

-- One row per device of a deployment, resolved when the deployment is created.
-- state: waiting (wave not started), issued (order signed and offered), downloading,
-- installing, succeeded, failed, refused (never ordered: NE type, rollback, disabled),
-- cancelled. The primary key makes a second order for one device and deployment impossible;
-- order_id is unique across all deployments.
CREATE TABLE deployment_targets (
  deployment_id VARCHAR(40) NOT NULL REFERENCES deployments (id),
  device_id VARCHAR(64) NOT NULL REFERENCES devices (id),
  wave INTEGER NOT NULL,
  state VARCHAR(16) NOT NULL,
  order_id VARCHAR(40),
  order_jws VARCHAR(16000),
  issued_at TIMESTAMP WITH TIME ZONE,
  not_after TIMESTAMP WITH TIME ZONE,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  progress INTEGER,
  reason_codes VARCHAR(1000) NOT NULL,
  reason_message VARCHAR(2000) NOT NULL,
  PRIMARY KEY (deployment_id, device_id)
);
CREATE UNIQUE INDEX deployment_targets_order ON deployment_targets (order_id);
CREATE INDEX deployment_targets_device ON deployment_targets (device_id, state);
CREATE INDEX deployment_targets_wave ON deployment_targets (deployment_id, wave, state);
