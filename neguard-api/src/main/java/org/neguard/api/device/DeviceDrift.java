package org.neguard.api.device;

import java.util.List;

/**
 * A device's port drift ({@code GET /api/devices/{id}/drift}, {@code GET /api/drift}): its last
 * inventory's judgement and its findings.
 *
 * @param deviceId the device
 * @param neType its NE type
 * @param lastInventoryAt ISO-8601 instant of the last inventory received, or null
 * @param lastVerdict that inventory's verdict ({@link InventoryVerdict#verdict()}), or null
 * @param openFindings how many findings are open
 * @param findings the findings, newest first (open and resolved; in lists only the open ones)
 */
public record DeviceDrift(String deviceId, String neType, String lastInventoryAt,
    String lastVerdict, int openFindings, List<DriftFinding> findings) {
  public DeviceDrift {
    findings = findings == null ? List.of() : List.copyOf(findings);
  }
}
