package org.neguard.cli.sim;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in microseconds, counted in log-linear buckets (32 per power of two, so a
 * percentile is off by at most 1/32, about 3 %), without a lock or a sample per request:
 * thousands of polls a second from several threads cost a few atomic increments each.
 */
final class LatencyHistogram {
  /** Below this many microseconds each value has its own bucket. */
  private static final int LINEAR = 64;
  private static final int SUB_BUCKETS = 32;
  /** Up to 2^40 µs (12 days): anything longer is counted in the last bucket. */
  private static final int MAX_EXPONENT = 40;

  private final AtomicLongArray counts =
      new AtomicLongArray(LINEAR + (MAX_EXPONENT - 5) * SUB_BUCKETS);

  void record(long nanos) {
    counts.incrementAndGet(index(Math.max(0, nanos / 1000)));
  }

  static int index(long micros) {
    if (micros < LINEAR) {
      return (int) micros;
    }
    int exponent = Math.min(63 - Long.numberOfLeadingZeros(micros), MAX_EXPONENT - 1);
    int shift = exponent - 5; // keeps the top six bits: 32..63
    long top = Math.min(micros >> shift, 2L * SUB_BUCKETS - 1);
    return LINEAR + (exponent - 6) * SUB_BUCKETS + (int) (top - SUB_BUCKETS);
  }

  /** The largest value (µs) counted in bucket {@code index}. */
  static long upperBound(int index) {
    if (index < LINEAR) {
      return index;
    }
    int exponent = (index - LINEAR) / SUB_BUCKETS + 6;
    long top = (index - LINEAR) % SUB_BUCKETS + SUB_BUCKETS;
    return ((top + 1) << (exponent - 5)) - 1;
  }

  /** Forgets every value counted so far. */
  void clear() {
    for (int i = 0; i < counts.length(); i++) {
      counts.set(i, 0);
    }
  }

  long count() {
    long n = 0;
    for (int i = 0; i < counts.length(); i++) {
      n += counts.get(i);
    }
    return n;
  }

  /**
   * The {@code p}-quantile (0 to 1) in milliseconds: the upper bound of the bucket that holds the
   * value of rank ceil(p × count), so it never understates; 0 with no values.
   */
  double quantileMillis(double p) {
    long n = count();
    if (n == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(p * n));
    long seen = 0;
    for (int i = 0; i < counts.length(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return upperBound(i) / 1000.0;
      }
    }
    return upperBound(counts.length() - 1) / 1000.0;
  }
}
