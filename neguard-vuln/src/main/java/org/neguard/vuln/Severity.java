package org.neguard.vuln;

/**
 * How bad a finding is, from its CVSS base score (CVSS v3.1 and v4.0 rating scale). A finding
 * whose severity no imported feed gives is {@link #UNKNOWN}, which a threshold counts as reached:
 * a policy fails closed until NVD data grades it.
 */
public enum Severity {
  UNKNOWN, NONE, LOW, MEDIUM, HIGH, CRITICAL;

  /** The rating of a CVSS base score (0.0 none, 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical). */
  public static Severity ofScore(double score) {
    if (Double.isNaN(score) || score < 0 || score > 10) {
      throw new IllegalArgumentException("CVSS score outside 0..10: " + score);
    }
    if (score == 0) {
      return NONE;
    }
    return score < 4 ? LOW : score < 7 ? MEDIUM : score < 9 ? HIGH : CRITICAL;
  }

  /** The thresholds a user may name, as usage messages list them. */
  public static final String THRESHOLDS = "low, medium, high or critical";

  /**
   * The threshold {@code name} names, in any case: low, medium, high or critical; empty for
   * anything else (none and unknown are no thresholds).
   */
  public static java.util.Optional<Severity> threshold(String name) {
    if (name == null) {
      return java.util.Optional.empty();
    }
    return switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "low" -> java.util.Optional.of(LOW);
      case "medium" -> java.util.Optional.of(MEDIUM);
      case "high" -> java.util.Optional.of(HIGH);
      case "critical" -> java.util.Optional.of(CRITICAL);
      default -> java.util.Optional.empty();
    };
  }

  /**
   * The severity a finding carries as its {@link #name()} (on the wire, in stored findings);
   * {@link #UNKNOWN} for null or a grade this version does not know, so that it still counts as
   * reaching every threshold.
   */
  public static Severity ofName(String name) {
    for (Severity s : values()) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return UNKNOWN;
  }

  /** Whether a finding of this severity reaches {@code threshold}; {@link #UNKNOWN} always does. */
  public boolean reaches(Severity threshold) {
    return this == UNKNOWN || compareTo(threshold) >= 0;
  }
}
