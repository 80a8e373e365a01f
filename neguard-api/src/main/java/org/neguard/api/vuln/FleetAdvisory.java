package org.neguard.api.vuln;

import java.util.List;

/**
 * One advisory across the fleet ({@code GET /api/vulnerabilities}): a known vulnerability of one
 * package, with the NEs that run an affected version of it.
 *
 * @param advisoryId the advisory ({@code DEBIAN-CVE-2026-24061})
 * @param cves its CVE ids
 * @param severity as {@link VulnFinding#severity()}
 * @param score the CVSS base score, or null
 * @param packageName the installed binary package
 * @param fixedVersion the first fixed version (the lowest any affected NE can move to), or null
 *     when none is known
 * @param devices how many NEs run an affected version
 * @param reachable how many of them expose it through a listening socket
 * @param deviceIds those NEs, reachable first, at most {@link #MAX_DEVICE_IDS}
 */
public record FleetAdvisory(String advisoryId, List<String> cves, String severity, Double score,
    String packageName, String fixedVersion, int devices, int reachable,
    List<String> deviceIds) {
  /** The most device ids an advisory names; {@link #devices()} counts them all. */
  public static final int MAX_DEVICE_IDS = 100;

  public FleetAdvisory {
    cves = cves == null ? List.of() : List.copyOf(cves);
    deviceIds = deviceIds == null ? List.of() : List.copyOf(deviceIds);
  }
}
