package org.neguard.agent;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * When the agent polls next. In steady state: the poll interval with ±10 % jitter, so that a
 * fleet started together spreads out. After a failure: exponential backoff from the poll
 * interval, doubling per consecutive failure up to {@code max}, with "equal jitter" (half the
 * delay fixed, half random): the wait is never below half the poll interval, so an outage never
 * becomes a busy loop, and never above {@code max}.
 */
public final class Backoff {
  private final Duration interval;
  private final Duration max;
  private final RandomGenerator random;
  private int failures;

  /**
   * @param interval the poll interval; at least one second
   * @param max the longest wait after failures; at least {@code interval}
   */
  public Backoff(Duration interval, Duration max, RandomGenerator random) {
    this.interval = Objects.requireNonNull(interval, "interval");
    this.max = Objects.requireNonNull(max, "max");
    this.random = Objects.requireNonNull(random, "random");
    if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("poll interval below 1 s: " + interval);
    }
    if (max.compareTo(interval) < 0) {
      throw new IllegalArgumentException("max backoff " + max + " below the interval " + interval);
    }
  }

  /** The wait after a successful poll; resets the failure count. */
  public Duration success() {
    failures = 0;
    long ms = interval.toMillis();
    return Duration.ofMillis(ms - ms / 10 + (long) (random.nextDouble() * (ms / 5 + 1)));
  }

  /** The wait after one more failure in a row. */
  public Duration failure() {
    failures = Math.min(failures + 1, 62);
    long cap = max.toMillis();
    long base = interval.toMillis();
    long d = failures >= 31 || base << (failures - 1) > cap || base << (failures - 1) <= 0
        ? cap : base << (failures - 1);
    return Duration.ofMillis(Math.min(d, d / 2 + (long) (random.nextDouble() * (d / 2 + 1))));
  }

  /** Consecutive failures so far. */
  public int failures() {
    return failures;
  }
}
