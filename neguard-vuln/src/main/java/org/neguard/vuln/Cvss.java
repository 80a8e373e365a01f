package org.neguard.vuln;

import java.util.Objects;

/**
 * A CVSS base score as a feed gives it.
 *
 * @param version {@code 2.0}, {@code 3.0}, {@code 3.1} or {@code 4.0}
 * @param vector the vector string ({@code CVSS:3.1/AV:N/AC:L/...})
 * @param score the base score, 0.0 to 10.0
 * @param source who scored it ({@code nvd@nist.gov}, a CNA, the OSV record)
 */
public record Cvss(String version, String vector, double score, String source) {
  public Cvss {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(vector, "vector");
    Objects.requireNonNull(source, "source");
    Severity.ofScore(score);
  }

  public Severity severity() {
    return Severity.ofScore(score);
  }
}
