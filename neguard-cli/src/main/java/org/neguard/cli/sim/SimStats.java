package org.neguard.cli.sim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.pki.TlsKeyExchange;

/**
 * What the simulated devices did, counted as it happens by the pool's threads: the numbers of the
 * progress line and of the summary. A poll is counted once it was answered (200, 304 or a
 * refusal); its latency is the whole request, TLS and all, as the device saw it.
 */
final class SimStats {
  final AtomicLong enrolled = new AtomicLong();
  final AtomicLong polls = new AtomicLong();
  final AtomicLong notModified = new AtomicLong();
  final AtomicLong pollErrors = new AtomicLong();
  final AtomicLong orders = new AtomicLong();
  final AtomicLong succeeded = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  /** Orders that did not verify (a subset of {@link #failed}). */
  final AtomicLong unverified = new AtomicLong();
  final AtomicLong downloadedBytes = new AtomicLong();
  final AtomicLong feedbackErrors = new AtomicLong();
  final AtomicLong renewals = new AtomicLong();
  final AtomicLong renewalErrors = new AtomicLong();
  /** Steps that ended in an exception of the simulator's own (a bug): should stay 0. */
  final AtomicLong internalErrors = new AtomicLong();
  final LatencyHistogram pollLatency = new LatencyHistogram();
  /** Challenges answered: the evidence's round trip, judged by the validation entity. */
  final LatencyHistogram attestLatency = new LatencyHistogram();
  final AtomicLong attestations = new AtomicLong();
  final AtomicLong attestPassed = new AtomicLong();
  final AtomicLong attestErrors = new AtomicLong();
  /** Devices that have taken their first step (and so opened their connection). */
  final AtomicLong firstSteps = new AtomicLong();
  /** Devices that began to tamper ({@code --tamper-rate}). */
  final AtomicLong tampered = new AtomicLong();
  /** Attestation errors by their kind ({@link #attestError}). */
  final Map<String, AtomicLong> attestErrorKinds =
      new java.util.concurrent.ConcurrentHashMap<>();
  /** Attestation results by their result (PASS, FAIL, ...). */
  final Map<String, AtomicLong> attestResults = new java.util.concurrent.ConcurrentHashMap<>();
  /** How late each device's step started against its schedule (the pool's own queueing). */
  final LatencyHistogram startLag = new LatencyHistogram();

  private final long start = System.nanoTime();
  /** When the devices began to poll (after enrollment). */
  private volatile long pollStart;
  /** Where the counted window begins: {@link #pollStart}, or the end of the warm-up. */
  private volatile long countStart;
  /** The process's CPU time at {@link #countStart}: the simulator's own cost of the window. */
  private volatile long countCpuStart = processCpuNanos();
  private long lastPolls;
  private long lastNanos = start;

  /** CPU time of this process (all threads, user and system), or -1 where the JVM cannot say. */
  private static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
  }

  void poll(long nanos, boolean wasNotModified) {
    pollLatency.record(nanos);
    polls.incrementAndGet();
    if (wasNotModified) {
      notModified.incrementAndGet();
    }
  }

  /**
   * Counts an attestation that got no judgement, by its kind: {@code HTTP 409 CONFLICT} for the
   * server's refusal, the exception's class for an I/O error ({@code SocketTimeoutException}),
   * so that a benchmark's errors can be told apart.
   */
  void attestError(Exception e) {
    attestErrors.incrementAndGet();
    String kind = e instanceof DeviceApiException d ? "HTTP " + d.status() + " " + d.code()
        : e.getClass().getSimpleName();
    attestErrorKinds.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
  }

  void attested(long nanos, String result) {
    attestLatency.record(nanos);
    attestations.incrementAndGet();
    if ("PASS".equals(result)) {
      attestPassed.incrementAndGet();
    }
    attestResults.computeIfAbsent(String.valueOf(result), k -> new AtomicLong())
        .incrementAndGet();
  }

  double seconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  void pollingStarts() {
    pollStart = System.nanoTime();
    countStart = pollStart;
    countCpuStart = processCpuNanos();
    lastNanos = pollStart;
  }

  /** Seconds since the devices began to poll, the warm-up included. */
  double sincePollingStarted() {
    return pollStart == 0 ? 0 : (System.nanoTime() - pollStart) / 1e9;
  }

  /** Seconds of the counted window: since polling started, or since {@link #restart}. */
  double pollSeconds() {
    return countStart == 0 ? 0 : (System.nanoTime() - countStart) / 1e9;
  }

  /**
   * Ends the warm-up: every count of what the devices did (not how many enrolled or began to
   * tamper) starts again from zero now, so the summary covers only the time after it; in
   * particular not the run's first connections and their TLS handshakes. A request in flight
   * meanwhile is counted after, when its answer comes. Called by the thread that calls
   * {@link #progress}.
   */
  void restart() {
    for (AtomicLong c : List.of(polls, notModified, pollErrors, orders, succeeded, failed,
        unverified, downloadedBytes, feedbackErrors, renewals, renewalErrors, internalErrors,
        attestations, attestPassed, attestErrors)) {
      c.set(0);
    }
    attestResults.values().forEach(v -> v.set(0)); // kept: a thread may hold one to count
    attestErrorKinds.values().forEach(v -> v.set(0));
    pollLatency.clear();
    attestLatency.clear();
    startLag.clear();
    countStart = System.nanoTime();
    countCpuStart = processCpuNanos();
    lastPolls = 0;
    lastNanos = countStart;
  }

  /**
   * The progress line: enrolled, polls per second since the last line, orders and outcomes.
   * Called by one thread only.
   */
  String progress(int devices) {
    long now = System.nanoTime();
    long p = polls.get();
    double rate = now == lastNanos ? 0 : (p - lastPolls) * 1e9 / (now - lastNanos);
    lastPolls = p;
    lastNanos = now;
    return String.format("sim: %d/%d enrolled  %,d polls (%,.0f/s)  %d attested  %d orders"
        + "  %d succeeded  %d failed  %.0f s", enrolled.get(), devices, p, rate,
        attestations.get(), orders.get(), succeeded.get(), failed.get(), seconds());
  }

  /** The summary record of {@code --json}. */
  Map<String, Object> summary(int devices, java.time.Duration pollInterval) {
    double seconds = pollSeconds();
    long p = polls.get();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("devices", devices);
    m.put("enrolled", enrolled.get());
    m.put("seconds", round(seconds(), 3));
    m.put("pollSeconds", round(seconds, 3));
    long cpu = processCpuNanos();
    // The load generator's own CPU in the counted window: on a machine it shares with the
    // server, what the server could not have.
    m.put("cpuSeconds",
        cpu < 0 || countCpuStart < 0 ? null : round((cpu - countCpuStart) / 1e9, 3));
    // What the simulated NEs' side of each TLS key exchange ran on (TlsKeyExchange).
    m.put("tlsKeyExchange", TlsKeyExchange.described());
    m.put("polls", p);
    m.put("pollsPerSecond", round(seconds == 0 ? 0 : p / seconds, 1));
    m.put("scheduledPollsPerSecond", round(enrolled.get() * 1e9 / pollInterval.toNanos(), 1));
    m.put("notModified", notModified.get());
    m.put("notModifiedShare", round(p == 0 ? 0 : (double) notModified.get() / p, 4));
    m.put("pollErrors", pollErrors.get());
    Map<String, Object> latency = new LinkedHashMap<>();
    latency.put("p50", pollLatency.quantileMillis(0.50));
    latency.put("p99", pollLatency.quantileMillis(0.99));
    latency.put("max", pollLatency.quantileMillis(1.0));
    m.put("pollLatencyMs", latency);
    Map<String, Object> lag = new LinkedHashMap<>();
    lag.put("p50", startLag.quantileMillis(0.50));
    lag.put("p99", startLag.quantileMillis(0.99));
    m.put("startLagMs", lag);
    m.put("attestations", attestations.get());
    m.put("attestationsPassed", attestPassed.get());
    m.put("attestationErrors", attestErrors.get());
    Map<String, Object> results = new java.util.TreeMap<>();
    attestResults.forEach((k, v) -> {
      if (v.get() > 0) {
        results.put(k, v.get());
      }
    });
    m.put("attestationResults", results);
    Map<String, Object> kinds = new java.util.TreeMap<>();
    attestErrorKinds.forEach((k, v) -> {
      if (v.get() > 0) {
        kinds.put(k, v.get());
      }
    });
    m.put("attestationErrorKinds", kinds);
    m.put("attestationsPerSecond", round(seconds == 0 ? 0 : attestations.get() / seconds, 1));
    m.put("tampered", tampered.get());
    Map<String, Object> attest = new LinkedHashMap<>();
    attest.put("p50", attestLatency.quantileMillis(0.50));
    attest.put("p99", attestLatency.quantileMillis(0.99));
    attest.put("max", attestLatency.quantileMillis(1.0));
    m.put("attestLatencyMs", attest);
    m.put("orders", orders.get());
    m.put("succeeded", succeeded.get());
    m.put("failed", failed.get());
    m.put("unverifiedOrders", unverified.get());
    m.put("downloadedBytes", downloadedBytes.get());
    m.put("feedbackErrors", feedbackErrors.get());
    m.put("renewals", renewals.get());
    m.put("renewalErrors", renewalErrors.get());
    m.put("internalErrors", internalErrors.get());
    return m;
  }

  private static double round(double v, int places) {
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }
}
