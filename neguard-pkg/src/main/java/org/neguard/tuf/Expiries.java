package org.neguard.tuf;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * When newly signed targets, snapshot and timestamp expire. The shorter a role's life, the sooner
 * a client notices a freeze; the timestamp, renewed on a schedule, is the shortest.
 */
public record Expiries(Instant targets, Instant snapshot, Instant timestamp) {
  public static final Duration ROOT = Duration.ofDays(365);
  public static final Duration TARGETS = Duration.ofDays(90);
  public static final Duration SNAPSHOT = Duration.ofDays(7);
  public static final Duration TIMESTAMP = Duration.ofDays(1);

  public Expiries {
    Objects.requireNonNull(targets, "targets");
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(timestamp, "timestamp");
  }

  /** 90 days, 7 days, 1 day from {@code now}. */
  public static Expiries defaults(Instant now) {
    return new Expiries(now.plus(TARGETS), now.plus(SNAPSHOT), now.plus(TIMESTAMP));
  }
}
