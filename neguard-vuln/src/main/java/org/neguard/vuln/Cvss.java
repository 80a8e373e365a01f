package org.neguard.vuln;

import java.util.Objects;

/**
 * A CVSS base score as a feed gives it.
 *
 * @param version {@code 2.0}, {@code 3.0}, {@code 3.1} or {@code 4.0}
 * @param vector the vector string ({@code CVSS:3.1/AV:N/AC:L/...})
 * @param score the base score, 0.0 to 10.0 (for a v4.0 vector with Threat or Environmental
 *     metrics, the CVSS-BT/BE/BTE score of that vector)
 * @param source who scored it ({@code nvd@nist.gov}, a CNA, the OSV record)
 */
public record Cvss(String version, String vector, double score, String source) {
  public Cvss {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(vector, "vector");
    Objects.requireNonNull(source, "source");
    Severity.ofScore(score);
  }

  /**
   * The score of a CVSS v3.0/v3.1 ({@link Cvss3}) or v4.0 ({@link Cvss4}) {@code vector},
   * computed; empty for a vector of another version (v2), whose score this program does not
   * compute. A v4.0 vector with Threat or Environmental metrics gives its CVSS-BT, -BE or -BTE
   * score, the one that vector stands for.
   *
   * @throws IllegalArgumentException for a v3 or v4 vector that is not one (a {@code CVSS:4.x}
   *     prefix other than 4.0 included): never a guessed score
   */
  public static java.util.Optional<Cvss> ofVector(String vector, String source) {
    if (vector.startsWith("CVSS:3.")) {
      return java.util.Optional.of(new Cvss(vector.substring(5, 8), vector,
          Cvss3.baseScore(vector), source));
    }
    if (vector.startsWith("CVSS:4.")) {
      return java.util.Optional.of(new Cvss("4.0", vector, Cvss4.baseScore(vector), source));
    }
    return java.util.Optional.empty();
  }

  public Severity severity() {
    return Severity.ofScore(score);
  }
}
