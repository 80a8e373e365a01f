package org.neguard.api.device;

import java.util.List;

/**
 * A device's port drift ({@code GET /api/devices/{id}/drift}, {@code GET /api/drift}): its last
 * inventory's judgement and its findings.
 *
 * @param deviceId the device
 * @param neType its NE type
 * @param lastInventoryAt ISO-8601 instant of the last inventory accepted, or null
 * @param lastVerdict the last report's verdict: that inventory's ({@link
 *     InventoryVerdict#verdict()}), or {@link InventoryVerdict#REFUSED} when the device's last
 *     report was refused (see {@code refusal}); null before any
 * @param openFindings how many findings are open
 * @param findings the findings, newest first (open and resolved); in the out-of-policy list
 *     the first 20 open ones, oldest first
 * @param refusedAt ISO-8601 instant of the last refused report, or null
 * @param refusal why it was refused, or null
 * @param refusals reports refused since the last accepted one
 * @param overdueSince ISO-8601 instant the device was found overdue (no inventory accepted for
 *     the server's {@code --drift-overdue}), or null when it reports
 */
public record DeviceDrift(String deviceId, String neType, String lastInventoryAt,
    String lastVerdict, int openFindings, List<DriftFinding> findings, String refusedAt,
    String refusal, int refusals, String overdueSince) {
  public DeviceDrift {
    findings = findings == null ? List.of() : List.copyOf(findings);
  }

  /** A device with no refused report and not overdue. */
  public DeviceDrift(String deviceId, String neType, String lastInventoryAt, String lastVerdict,
      int openFindings, List<DriftFinding> findings) {
    this(deviceId, neType, lastInventoryAt, lastVerdict, openFindings, findings, null, null, 0,
        null);
  }
}
