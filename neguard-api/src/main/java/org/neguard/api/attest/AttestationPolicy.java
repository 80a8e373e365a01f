package org.neguard.api.attest;

import java.util.List;

/**
 * What a failed attestation sets off for devices of one NE type (REC-1,
 * {@code PUT /api/attestation/policies/{neType}}).
 *
 * @param neType the NE type
 * @param actions in order: {@code quarantine} (always, added when missing), {@code rollback}
 *     (a recovery to the device's last committed package) and {@code reinstall=<package>@<version>}
 * @param updatedBy who set it (ignored in a request)
 * @param updatedAt when (ISO-8601 UTC; ignored in a request)
 */
public record AttestationPolicy(String neType, List<String> actions, String updatedBy,
    String updatedAt) {}
