package org.neguard.server.deploy;

import java.time.Instant;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;

/** A deployment past its expiry ends as {@code expired}, whoever notices first. */
final class Expiry {
  /** The actor of the engine's own changes in the audit log. */
  static final String SYSTEM = "system";

  private Expiry() {}

  static boolean due(DeploymentRow d, Instant now) {
    return !d.isFinal() && !now.isBefore(d.expiresAt());
  }

  /** Ends {@code d} as expired, its open targets cancelled; one audit row. Needs the lock. */
  static void expire(DeploymentStore store, AuditLog audit, DeploymentRow d, Instant now) {
    String reason = "expired at " + d.expiresAt() + " while " + d.state();
    store.end(d.id(), DeploymentRow.EXPIRED, reason, now);
    audit.append(AuditEvent.success(SYSTEM, "DEPLOYMENT_EXPIRE", "deployment " + d.id(),
        reason + "; open targets cancelled"));
  }
}
