package org.neguard.api.vuln;

/**
 * One NE in the fleet view ({@code GET /api/vulnerabilities}): its findings counted by severity.
 *
 * @param deviceId the device
 * @param neType its NE type
 * @param state as {@link DeviceVulnerabilities#state()}
 * @param reachable findings reachable through a listening socket
 * @param critical findings graded critical
 * @param high high
 * @param medium medium
 * @param low low or none
 * @param unknown not graded by any feed
 * @param total all findings
 * @param assessedAt ISO-8601 time of the assessment, or null
 */
public record DeviceVulnSummary(String deviceId, String neType, String state, int reachable,
    int critical, int high, int medium, int low, int unknown, int total, String assessedAt) {}
