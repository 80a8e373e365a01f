package org.neguard.server.deploy;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Set;

/** One row of {@code deployments}. */
record DeploymentRow(String id, String packageName, String packageVersion, String bundleSha256,
    long bundleLength, String neType, long securityVersion, String state, String stateReason,
    String createdBy, Instant createdAt, Instant updatedAt, Instant expiresAt,
    int requiredApprovals, boolean rollback, int successThreshold, int errorThreshold,
    String maintenanceWindow, int currentWave, int waveCount, String kind,
    int attestationFailureShare) {

  /** An update: targets pass ATT-1 before their order, devices must be trusted. */
  static final String UPDATE = "update";
  /** A recovery campaign (REC-2): no ATT-1 gate, quarantined devices allowed, readmission. */
  static final String RECOVERY = "recovery";

  static final String PENDING = "pending_approval";
  static final String RUNNING = "running";
  static final String PAUSED = "paused";
  /** How the state reason of a deployment the engine paused (error threshold) begins. */
  static final String ENGINE_PAUSE = "paused by the engine: ";
  static final String COMPLETED = "completed";
  static final String REJECTED = "rejected";
  static final String CANCELLED = "cancelled";
  static final String EXPIRED = "expired";
  static final Set<String> FINAL = Set.of(COMPLETED, REJECTED, CANCELLED, EXPIRED);

  boolean recovery() {
    return RECOVERY.equals(kind);
  }

  boolean isFinal() {
    return FINAL.contains(state);
  }

  /** The window, or null for any time. */
  MaintenanceWindow window() {
    return maintenanceWindow == null ? null : MaintenanceWindow.parse(maintenanceWindow);
  }

  static DeploymentRow of(ResultSet rs, int i) throws SQLException {
    return new DeploymentRow(rs.getString("id"), rs.getString("package_name"),
        rs.getString("package_version"), rs.getString("bundle_sha256"),
        rs.getLong("bundle_length"), rs.getString("package_ne_type"),
        rs.getLong("security_version"), rs.getString("state"), rs.getString("state_reason"),
        rs.getString("created_by"), instant(rs, "created_at"), instant(rs, "updated_at"),
        instant(rs, "expires_at"), rs.getInt("required_approvals"), rs.getBoolean("rollback"),
        rs.getInt("success_threshold"), rs.getInt("error_threshold"),
        rs.getString("maintenance_window"), rs.getInt("current_wave"), rs.getInt("wave_count"),
        rs.getString("kind"), rs.getInt("attestation_failure_share"));
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}
