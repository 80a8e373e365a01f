package org.neguard.server.console;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.neguard.api.audit.AuditVerification;
import org.springframework.stereotype.Component;

/**
 * The audit chain's last verification from the console, for the overview: verifying walks the
 * whole log, so the overview shows the last result rather than verifying on every view.
 */
@Component
class AuditCheck {
  /** One verification: when, by whom, and what it found. */
  record Last(Instant at, String by, AuditVerification result) {}

  private final AtomicReference<Last> last = new AtomicReference<>();

  Last last() {
    return last.get();
  }

  void record(String by, AuditVerification result) {
    last.set(new Last(Instant.now(), by, result));
  }
}
