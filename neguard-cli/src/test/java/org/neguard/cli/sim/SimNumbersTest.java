package org.neguard.cli.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The numbers {@code sim agents} reports: which devices fail, and the latency percentiles. */
class SimNumbersTest {
  @Test
  void failsByIndex_exactShare_spreadEvenly_sameEveryRun() {
    assertThat(IntStream.range(0, 20).filter(i -> SimDevice.failsByIndex(i, 0.1)))
        .containsExactly(9, 19);
    assertThat(IntStream.range(0, 1000).filter(i -> SimDevice.failsByIndex(i, 0.02)).count())
        .isEqualTo(20);
    assertThat(IntStream.range(0, 10).filter(i -> SimDevice.failsByIndex(i, 0.2)))
        .containsExactly(4, 9);
    assertThat(IntStream.range(0, 100).filter(i -> SimDevice.failsByIndex(i, 0))).isEmpty();
    assertThat(IntStream.range(0, 100).filter(i -> SimDevice.failsByIndex(i, 1))).hasSize(100);
  }

  @Test
  void histogram_bucketsCoverEveryValue_upperBoundWithin1In32() {
    for (long v : new long[] {0, 1, 63, 64, 65, 127, 128, 1000, 12_345, 999_999, 1L << 39}) {
      int i = LatencyHistogram.index(v);
      assertThat(LatencyHistogram.upperBound(i)).as("%d", v).isGreaterThanOrEqualTo(v)
          .isLessThanOrEqualTo(v + Math.max(1, v / 32));
      if (i > 0) {
        assertThat(LatencyHistogram.upperBound(i - 1)).as("%d", v).isLessThan(v);
      }
    }
  }

  @Test
  void histogram_quantiles_ofKnownValues() {
    LatencyHistogram h = new LatencyHistogram();
    assertThat(h.quantileMillis(0.99)).isZero();
    for (int ms = 1; ms <= 100; ms++) {
      h.record(ms * 1_000_000L);
    }
    assertThat(h.count()).isEqualTo(100);
    assertThat(h.quantileMillis(0.5)).isBetween(50.0, 50.0 * 33 / 32);
    assertThat(h.quantileMillis(0.99)).isBetween(99.0, 99.0 * 33 / 32);
    assertThat(h.quantileMillis(1.0)).isBetween(100.0, 100.0 * 33 / 32);
  }

  @Test
  void restart_afterWarmup_summaryCountsOnlyWhatFollows() {
    SimStats s = new SimStats();
    s.enrolled.set(3);
    s.pollingStarts();
    s.poll(900_000_000L, false);
    s.attested(800_000_000L, "FAIL");
    s.attestError(new java.net.SocketTimeoutException("warm-up"));
    s.startLag.record(5_000_000_000L);
    s.restart();
    s.poll(2_000_000L, true);
    s.attested(3_000_000L, "PASS");
    s.attestError(new java.net.SocketTimeoutException("read timed out"));
    s.attestError(new org.neguard.agent.client.DeviceApiException(409, java.util.List.of(
        new org.neguard.api.problem.ProblemReason("CONFLICT", "the nonce was judged", null))));

    java.util.Map<String, Object> m = s.summary(3, java.time.Duration.ofSeconds(1));
    assertThat(m).containsEntry("enrolled", 3L).containsEntry("polls", 1L)
        .containsEntry("notModified", 1L).containsEntry("attestations", 1L)
        .containsEntry("attestationResults", java.util.Map.of("PASS", 1L))
        .containsEntry("attestationErrors", 2L)
        .containsEntry("attestationErrorKinds", java.util.Map.of("SocketTimeoutException", 1L,
            "HTTP 409 CONFLICT", 1L))
        .containsEntry("startLagMs", java.util.Map.of("p50", 0.0, "p99", 0.0));
    // the warm-up's 900 ms poll and 800 ms evidence are gone from the percentiles
    assertThat(((java.util.Map<?, ?>) m.get("pollLatencyMs")).get("max")).isEqualTo(2.015);
    assertThat(((java.util.Map<?, ?>) m.get("attestLatencyMs")).get("max")).isEqualTo(3.007);
    // the window first: read the other way round, the clock moves between the two readings
    // (1.5 ms under load once) and can put a later window past an earlier whole
    double window = s.pollSeconds();
    assertThat(s.sincePollingStarted()).isGreaterThanOrEqualTo(window);
  }

  @Test
  void summary_cpuSeconds_theProcessesCpuSinceTheWarmUpEnded() {
    SimStats s = new SimStats();
    s.pollingStarts();
    burn(200); // the warm-up's CPU: not the window's
    s.restart();
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadCpuTime();
    burn(100);
    double burnt = (threads.getCurrentThreadCpuTime() - before) / 1e9;
    double cpu = ((Number) s.summary(1, java.time.Duration.ofSeconds(1)).get("cpuSeconds"))
        .doubleValue();
    // at least this thread's work in the window (other threads of the JVM add theirs), and not
    // the warm-up's 200 ms before it
    assertThat(cpu).isGreaterThanOrEqualTo(burnt - 0.002).isLessThan(burnt + 0.15);
  }

  /** Keeps this thread on the CPU for about {@code millis} of its CPU time. */
  private static void burn(long millis) {
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    long end = threads.getCurrentThreadCpuTime() + millis * 1_000_000L;
    long x = 0;
    while (threads.getCurrentThreadCpuTime() < end) {
      x += Long.numberOfTrailingZeros(System.nanoTime());
    }
    assertThat(x).isNotNegative();
  }
}
