package org.neguard.tuf;

import java.time.Duration;
import java.time.Instant;

/** When newly signed targets, snapshot and timestamp expire. */
public record Expiries(Instant targets, Instant snapshot, Instant timestamp) {
  public static final Duration ROOT = Duration.ofDays(365);
  public static final Duration TARGETS = Duration.ofDays(90);
  public static final Duration SNAPSHOT = Duration.ofDays(7);
  public static final Duration TIMESTAMP = Duration.ofDays(1);

  public static Expiries defaults(Instant now) {
    throw new UnsupportedOperationException("todo");
  }
}
