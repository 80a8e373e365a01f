package org.neguard.api.vuln;

import java.util.List;

/**
 * A known vulnerability of a package an NE runs.
 *
 * @param advisoryId the advisory ({@code DEBIAN-CVE-2025-30698})
 * @param cves its CVE ids
 * @param summary one line
 * @param severity {@code CRITICAL}, {@code HIGH}, {@code MEDIUM}, {@code LOW}, {@code NONE} or
 *     {@code UNKNOWN} (no feed grades it: counted as reaching every threshold)
 * @param score the CVSS base score, or null
 * @param vector the CVSS vector, or null
 * @param packageName the installed binary package
 * @param version its installed version
 * @param source the source package the advisory names
 * @param affected the affected range as the advisory states it
 * @param fixedVersion the first fixed version above the installed one, or null when none is known
 * @param reachableThrough the listening sockets served by the package's executables (empty:
 *     dormant)
 * @param matchedBy how it was matched ({@code source-package}, {@code purl}, {@code cpe})
 */
public record VulnFinding(String advisoryId, List<String> cves, String summary, String severity,
    Double score, String vector, String packageName, String version, String source,
    String affected, String fixedVersion, List<Reach> reachableThrough, String matchedBy) {
  public VulnFinding {
    cves = cves == null ? List.of() : List.copyOf(cves);
    reachableThrough = reachableThrough == null ? List.of() : List.copyOf(reachableThrough);
  }

  public boolean reachable() {
    return !reachableThrough.isEmpty();
  }
}
