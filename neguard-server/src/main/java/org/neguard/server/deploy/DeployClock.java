package org.neguard.server.deploy;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import org.springframework.stereotype.Component;

/**
 * The one clock of the deployment engine: creation, approvals, the scheduler and feedback all
 * read it, so that a test can move time (maintenance windows, expiry) for all of them at once.
 */
@Component
final class DeployClock {
  private volatile Clock clock = Clock.systemUTC();

  Instant now() {
    return clock.instant();
  }

  /** Replaces the clock (tests). */
  void set(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }
}
