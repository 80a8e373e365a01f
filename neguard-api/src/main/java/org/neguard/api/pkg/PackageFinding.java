package org.neguard.api.pkg;

import java.util.List;

/**
 * A known vulnerability of a component a package carries (its SBOM), as the publication gate
 * judged it: a row of {@link HeldPackage#findings()}.
 *
 * @param advisoryId the advisory ({@code DEBIAN-CVE-2026-24061}, {@code GHSA-…}, {@code CVE-…})
 * @param cves its CVE ids
 * @param severity {@code CRITICAL}, {@code HIGH}, {@code MEDIUM}, {@code LOW}, {@code NONE} or
 *     {@code UNKNOWN} (no feed grades it; counts as reaching every threshold)
 * @param component the component's package URL, as the SBOM names it
 * @param fixedVersion the first version that fixes it, or null
 * @param summary one line
 * @param failing whether it holds the package: not suppressed and at or above the threshold
 * @param vex the VEX statement that applies, or null
 */
public record PackageFinding(String advisoryId, List<String> cves, String severity,
    String component, String fixedVersion, String summary, boolean failing, Vex vex) {
  public PackageFinding {
    cves = cves == null ? List.of() : List.copyOf(cves);
  }

  /**
   * The VEX statement that applies to a finding.
   *
   * @param status {@code NOT_AFFECTED}, {@code AFFECTED}, {@code FIXED} or
   *     {@code UNDER_INVESTIGATION}
   * @param justification the machine-readable justification, or null
   * @param impactStatement the explanation, or null
   * @param author who decided
   * @param timestamp when (ISO-8601 UTC)
   * @param source the document it came from
   */
  public record Vex(String status, String justification, String impactStatement, String author,
      String timestamp, String source) {}
}
