package org.neguard.scanreport;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * What the publication gate (AV-2) demands of a package's scan reports, besides "nothing found,
 * everything scanned", which no policy can relax.
 *
 * @param minEngines the least number of distinct engines (by product name) whose clean reports
 *     the package must carry; at least 1
 * @param minAntivirusEngines how many of those must be anti-virus engines (clamd or ICAP); YARA
 *     rules are a vendor's own patterns and add to an anti-virus engine, they do not replace one
 * @param maxDatabaseAge the oldest a signature database may be when the scan runs
 * @param requireDatabaseVersion whether a report must name its signature database version and
 *     date (AV-3); an engine that does not say cannot prove its age
 */
public record ScanPolicy(
    int minEngines, int minAntivirusEngines, Duration maxDatabaseAge,
    boolean requireDatabaseVersion) {

  /** Engine kinds that count as anti-virus engines. */
  public static final Set<String> ANTIVIRUS_KINDS = Set.of("clamd", "icap");

  /**
   * One anti-virus engine, a signature database at most seven days old at scan time (the age at
   * which ClamAV itself warns that its database is out of date), versions required.
   */
  public static ScanPolicy defaults() {
    return new ScanPolicy(1, 1, Duration.ofDays(7), true);
  }

  public ScanPolicy {
    if (minEngines < 1) {
      throw new IllegalArgumentException("minEngines < 1: " + minEngines);
    }
    if (minAntivirusEngines < 0 || minAntivirusEngines > minEngines) {
      throw new IllegalArgumentException(
          "minAntivirusEngines must be between 0 and minEngines (" + minEngines + "): "
              + minAntivirusEngines);
    }
    Objects.requireNonNull(maxDatabaseAge, "maxDatabaseAge");
    if (maxDatabaseAge.isNegative() || maxDatabaseAge.isZero()) {
      throw new IllegalArgumentException("maxDatabaseAge must be positive: " + maxDatabaseAge);
    }
  }

  public ScanPolicy withMinEngines(int n) {
    return new ScanPolicy(n, Math.min(minAntivirusEngines, n), maxDatabaseAge, requireDatabaseVersion);
  }

  public ScanPolicy withMinAntivirusEngines(int n) {
    return new ScanPolicy(minEngines, n, maxDatabaseAge, requireDatabaseVersion);
  }

  public ScanPolicy withMaxDatabaseAge(Duration age) {
    return new ScanPolicy(minEngines, minAntivirusEngines, age, requireDatabaseVersion);
  }

  public ScanPolicy withRequireDatabaseVersion(boolean required) {
    return new ScanPolicy(minEngines, minAntivirusEngines, maxDatabaseAge, required);
  }
}
