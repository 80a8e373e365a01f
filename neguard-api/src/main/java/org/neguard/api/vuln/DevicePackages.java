package org.neguard.api.vuln;

import java.util.List;
import org.neguard.api.device.OsPackage;
import org.neguard.api.device.SocketOwner;

/**
 * The installed OS packages an NE's agent last reported ({@code GET
 * /api/devices/{id}/packages}, issue 16, HRD-3): what {@code neguard harden check --server URL
 * --device ID} assesses instead of a dpkg status file copied off the NE.
 *
 * <p>{@code state} is {@code REPORTED}, or {@code NO_REPORT} when the NE has never reported its
 * packages; then every field after it is null (not an empty list: "nothing installed" and "not
 * known" must not read alike).
 *
 * @param deviceId the device
 * @param neType its NE type
 * @param state {@code REPORTED} or {@code NO_REPORT}
 * @param format {@code dpkg}, {@code rpm} or {@code none}
 * @param release the NE's release as an OSV ecosystem ({@code Debian:12}), or null when the NE
 *     could not tell
 * @param digest the SHA-256 of the list, {@code PackageReport.digestOf}: a client checks the list
 *     against it
 * @param count how many packages the list has
 * @param reportedAt ISO-8601 time the server stored the report
 * @param answeredAt ISO-8601 time of this answer by the server's clock, so that the report's age
 *     is judged on one clock
 * @param packages the list, in the agent's order
 * @param sockets the listening sockets of the report, each with the package owning its
 *     executable
 * @param notes what the agent could not read
 */
public record DevicePackages(String deviceId, String neType, String state, String format,
    String release, String digest, Integer count, String reportedAt, String answeredAt,
    List<OsPackage> packages, List<SocketOwner> sockets, List<String> notes) {
  public static final String REPORTED = "REPORTED";
  public static final String NO_REPORT = "NO_REPORT";
}
