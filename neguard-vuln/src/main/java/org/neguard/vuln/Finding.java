package org.neguard.vuln;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A known vulnerability of a component.
 *
 * @param advisoryId the advisory that reports it ({@code DEBIAN-CVE-2026-24061}, {@code GHSA-…},
 *     {@code CVE-…} for an NVD CPE match)
 * @param cves its CVE ids
 * @param summary one line
 * @param severity from the best CVSS score known (the feed's own, else NVD's), else UNKNOWN
 * @param cvss that score, when known
 * @param component the affected component
 * @param affected the affected range as the advisory states it ({@code >= 0, < 2:2.4-2+deb12u3})
 * @param fixedVersion the first fixed version above the installed one, if any
 * @param reachableThrough the exposures serving this component (empty: dormant)
 * @param matchedBy how: {@code source-package} (a distribution's advisory, by source package and
 *     its version rules), {@code purl} (an ecosystem advisory), {@code cpe} (NVD configuration)
 * @param vex the VEX statement that applies, when one does; a {@code NOT_AFFECTED} one takes the
 *     finding out of every gate but leaves it in the report
 */
public record Finding(String advisoryId, List<String> cves, String summary, Severity severity,
    Optional<Cvss> cvss, Component component, String affected, Optional<String> fixedVersion,
    List<Exposure> reachableThrough, String matchedBy, Optional<VexStatement> vex) {
  public Finding {
    Objects.requireNonNull(advisoryId, "advisoryId");
    cves = List.copyOf(cves);
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(component, "component");
    reachableThrough = List.copyOf(reachableThrough);
    Objects.requireNonNull(vex, "vex");
  }

  public boolean reachable() {
    return !reachableThrough.isEmpty();
  }

  /** Whether a VEX statement says the product is not affected. */
  public boolean suppressed() {
    return vex.filter(v -> v.status() == VexStatement.Status.NOT_AFFECTED).isPresent();
  }

  public Finding withVex(VexStatement statement) {
    return new Finding(advisoryId, cves, summary, severity, cvss, component, affected,
        fixedVersion, reachableThrough, matchedBy, Optional.of(statement));
  }
}
