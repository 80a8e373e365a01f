package org.neguard.api.deploy;

import java.util.List;

/**
 * {@code POST /api/deployments} (operator). The targets are the union of {@code devices}, the
 * devices carrying any of {@code labels}, and the devices of {@code neType}; resolved once, when
 * the deployment is created, so approvers approve a fixed list.
 *
 * @param devices device ids; may be null
 * @param labels device labels; may be null
 * @param neType every device of this NE type; may be null
 * @param waves wave sizes, each a count ({@code "10"}) or a percentage of the targets
 *     ({@code "25%"}); the last wave takes the rest; null or empty: one wave
 * @param successThreshold percent of a wave's devices that must succeed before the next wave
 *     starts (1 to 100; null: 100)
 * @param errorThreshold percent of a wave's devices whose failure pauses the deployment (1 to
 *     100; null: 10)
 * @param maintenanceWindow daily UTC window in which orders are issued, {@code HH:MM-HH:MM}; null
 *     for any time
 * @param expiresAt ISO-8601 instant after which the deployment ends as {@code expired}; null:
 *     7 days from creation
 * @param rollback true to allow a lower security version than devices run (approvers must
 *     acknowledge it)
 * @param requiredApprovals approvals needed; null or less than the server's minimum: the minimum
 * @param attestationFailureShare the circuit breaker: when more than this percent of a wave's
 *     finished targets failed their completion attestation (ATTESTATION_FAILED, ATT-4), the
 *     deployment pauses and says whether the failures share one component and file (1 to 100;
 *     null: 50)
 */
public record CreateDeploymentRequest(String packageName, String packageVersion,
    List<String> devices, List<String> labels, String neType, List<String> waves,
    Integer successThreshold, Integer errorThreshold, String maintenanceWindow, String expiresAt,
    Boolean rollback, Integer requiredApprovals, Integer attestationFailureShare) {

  /** A request with the default circuit breaker. */
  public CreateDeploymentRequest(String packageName, String packageVersion, List<String> devices,
      List<String> labels, String neType, List<String> waves, Integer successThreshold,
      Integer errorThreshold, String maintenanceWindow, String expiresAt, Boolean rollback,
      Integer requiredApprovals) {
    this(packageName, packageVersion, devices, labels, neType, waves, successThreshold,
        errorThreshold, maintenanceWindow, expiresAt, rollback, requiredApprovals, null);
  }
}
