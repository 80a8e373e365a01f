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

  /** Whether a finding of this severity reaches {@code threshold}; {@link #UNKNOWN} always does. */
  public boolean reaches(Severity threshold) {
    return this == UNKNOWN || compareTo(threshold) >= 0;
  }
}
