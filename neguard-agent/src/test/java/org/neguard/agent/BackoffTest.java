package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("INT-3 poll backoff: exponential, capped, jittered, never a busy loop")
class BackoffTest {
  @Test
  @DisplayName("INT-3 failures double the wait up to the cap; never below half the interval,"
      + " never above the cap; a success returns to the interval ±10%")
  void failures_doubleUpToTheCap() {
    Duration interval = Duration.ofSeconds(5);
    Duration max = Duration.ofSeconds(300);
    for (long seed = 0; seed < 50; seed++) {
      Backoff b = new Backoff(interval, max, new SplittableRandom(seed));
      long upper = interval.toMillis();
      for (int i = 1; i <= 100; i++) {
        Duration d = b.failure();
        assertThat(d.toMillis()).as("failure %d", i)
            .isGreaterThanOrEqualTo(Math.min(upper, max.toMillis()) / 2)
            .isLessThanOrEqualTo(Math.min(upper, max.toMillis()));
        upper = Math.min(upper * 2, max.toMillis());
      }
      assertThat(b.failures()).isEqualTo(62);
      Duration ok = b.success();
      assertThat(b.failures()).isZero();
      assertThat(ok.toMillis()).isBetween(4500L, 5500L);
    }
    // Later failures in an outage sit at the cap (150-300 s), not at the interval.
    Backoff b = new Backoff(interval, max, new SplittableRandom(1));
    for (int i = 0; i < 10; i++) {
      b.failure();
    }
    assertThat(b.failure().toMillis()).isBetween(150_000L, 300_000L);
  }
}
