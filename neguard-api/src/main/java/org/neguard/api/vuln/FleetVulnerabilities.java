package org.neguard.api.vuln;

import java.util.List;

/**
 * The fleet's known vulnerabilities ({@code GET /api/vulnerabilities}).
 *
 * @param state the database's: {@code ASSESSED}, {@code STALE_DATABASE} or {@code NO_DATABASE}
 *     (see {@link DeviceVulnerabilities})
 * @param feeds the database's feeds and their dates
 * @param messages what limits the view, each with what to do
 * @param devices every enrolled NE, those with reachable findings first, then by their most
 *     severe findings
 * @param advisories each advisory with the NEs it affects: most severe first, then by how many
 *     NEs expose it through a port, then by how many run it
 */
public record FleetVulnerabilities(String state, List<FeedDate> feeds, List<String> messages,
    List<DeviceVulnSummary> devices, List<FleetAdvisory> advisories) {
  public FleetVulnerabilities {
    feeds = feeds == null ? List.of() : List.copyOf(feeds);
    messages = messages == null ? List.of() : List.copyOf(messages);
    devices = devices == null ? List.of() : List.copyOf(devices);
    advisories = advisories == null ? List.of() : List.copyOf(advisories);
  }
}
