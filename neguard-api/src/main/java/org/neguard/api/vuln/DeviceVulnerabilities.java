package org.neguard.api.vuln;

import java.util.List;

/**
 * One NE's known vulnerabilities ({@code GET /api/devices/{id}/vulnerabilities}).
 *
 * <p>{@code state} says what the list rests on, and an empty list means "none found" only with
 * {@code ASSESSED}: {@code STALE_DATABASE} (assessed against a database older than the server's
 * policy allows: newer advisories are missing), {@code NO_DATABASE} (the server has no
 * vulnerability database: nothing was assessed), {@code NO_REPORT} (the NE has not reported its
 * packages), {@code NOT_ASSESSED} (no advisories for its package format or release).
 *
 * @param deviceId the device
 * @param neType its NE type
 * @param state see above
 * @param format the package format the NE reported ({@code dpkg}, {@code rpm}, {@code none}), or
 *     null
 * @param release its release ({@code Debian:12}), or null
 * @param packages how many packages it reported
 * @param reportedAt ISO-8601 time of its last package report, or null
 * @param assessedAt ISO-8601 time of the assessment shown, or null
 * @param feeds the database's feeds and their dates
 * @param messages what limits the list, each with what to do
 * @param ports the NE's listening sockets as last reported, each with its owning package and
 *     the findings reachable through it
 * @param findings reachable ones first, then by severity, then by advisory id
 */
public record DeviceVulnerabilities(String deviceId, String neType, String state, String format,
    String release, int packages, String reportedAt, String assessedAt, List<FeedDate> feeds,
    List<String> messages, List<ExposedPort> ports, List<VulnFinding> findings) {
  public static final String ASSESSED = "ASSESSED";
  public static final String STALE_DATABASE = "STALE_DATABASE";
  public static final String NO_DATABASE = "NO_DATABASE";
  public static final String NO_REPORT = "NO_REPORT";
  public static final String NOT_ASSESSED = "NOT_ASSESSED";

  public DeviceVulnerabilities {
    feeds = feeds == null ? List.of() : List.copyOf(feeds);
    messages = messages == null ? List.of() : List.copyOf(messages);
    ports = ports == null ? List.of() : List.copyOf(ports);
    findings = findings == null ? List.of() : List.copyOf(findings);
  }
}
