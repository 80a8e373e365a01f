package org.neguard.api.deploy;

import java.util.List;

/**
 * A deployment as users see it.
 *
 * @param state {@code pending_approval}, {@code running}, {@code paused}, {@code completed},
 *     {@code rejected}, {@code cancelled} or {@code expired}
 * @param stateReason why it is in its state (who paused it and why, which threshold was
 *     reached); empty when there is nothing to say
 * @param currentWave the running or last wave, 1-based; 0 before the first starts
 * @param kind {@code update}, or {@code recovery} for a recovery campaign (REC-2,
 *     {@code POST /api/recoveries})
 * @param attestationFailureShare percent of a wave's finished targets whose failed completion
 *     attestation (ATTESTATION_FAILED) pauses the deployment: the circuit breaker
 */
public record Deployment(String id, String packageName, String packageVersion,
    String bundleSha256, long bundleLength, long securityVersion, String neType, String state,
    String stateReason, String createdBy, String createdAt, String updatedAt, String expiresAt,
    int requiredApprovals, List<ApprovalInfo> approvals, boolean rollback,
    int successThreshold, int errorThreshold, String maintenanceWindow, int currentWave,
    int targetCount, List<Wave> waves, String kind, int attestationFailureShare) {

  /** A deployment of kind {@code update} with the default circuit breaker (50%). */
  public Deployment(String id, String packageName, String packageVersion, String bundleSha256,
      long bundleLength, long securityVersion, String neType, String state, String stateReason,
      String createdBy, String createdAt, String updatedAt, String expiresAt,
      int requiredApprovals, List<ApprovalInfo> approvals, boolean rollback,
      int successThreshold, int errorThreshold, String maintenanceWindow, int currentWave,
      int targetCount, List<Wave> waves) {
    this(id, packageName, packageVersion, bundleSha256, bundleLength, securityVersion, neType,
        state, stateReason, createdBy, createdAt, updatedAt, expiresAt, requiredApprovals,
        approvals, rollback, successThreshold, errorThreshold, maintenanceWindow, currentWave,
        targetCount, waves, "update", 50);
  }
}
