package org.neguard.server.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down password guessing. Per account (kept in the database, so it holds across restarts
 * and replicas): after {@link #FREE_FAILURES} consecutive failures the account is locked for
 * 30 s, doubling with each further failure up to 15 min; a success clears it. Per client address
 * (in memory): at most {@link #ADDRESS_FAILURES} failures in 10 minutes, whatever the names
 * tried. Thread-safe.
 */
final class LoginThrottle {
  static final int FREE_FAILURES = 5;
  static final int ADDRESS_FAILURES = 20;
  private static final Duration FIRST_LOCK = Duration.ofSeconds(30);
  private static final Duration MAX_LOCK = Duration.ofMinutes(15);
  private static final Duration WINDOW = Duration.ofMinutes(10);
  private static final int MAX_TRACKED = 100_000;

  private record Window(Instant start, int failures) {}

  private final Map<String, Window> byAddress = new ConcurrentHashMap<>();

  /** How long the account stays locked after its {@code failures}-th consecutive failure. */
  static Duration lockFor(int failures) {
    if (failures < FREE_FAILURES) {
      return Duration.ZERO;
    }
    int doublings = Math.min(failures - FREE_FAILURES, 10);
    Duration d = FIRST_LOCK.multipliedBy(1L << doublings);
    return d.compareTo(MAX_LOCK) > 0 ? MAX_LOCK : d;
  }

  /** Seconds the address must wait, or 0. */
  long addressWait(String address, Instant now) {
    Window w = byAddress.get(address);
    if (w == null || w.start().plus(WINDOW).isBefore(now)) {
      return 0;
    }
    return w.failures() >= ADDRESS_FAILURES
        ? Math.max(1, Duration.between(now, w.start().plus(WINDOW)).toSeconds())
        : 0;
  }

  void addressFailed(String address, Instant now) {
    if (byAddress.size() > MAX_TRACKED) {
      byAddress.entrySet().removeIf(e -> e.getValue().start().plus(WINDOW).isBefore(now));
    }
    byAddress.compute(address, (k, w) -> w == null || w.start().plus(WINDOW).isBefore(now)
        ? new Window(now, 1) : new Window(w.start(), w.failures() + 1));
  }
}
