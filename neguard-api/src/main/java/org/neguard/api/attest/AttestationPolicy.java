package org.neguard.api.attest;

import java.util.List;

/**
 * What a failed attestation sets off for the devices of one NE type (REC-1): the body of {@code
 * PUT /api/attestation/policies/{neType}} and a row of {@code GET /api/attestation/policies}.
 *
 * @param neType the NE type it applies to
 * @param actions in order: {@code quarantine} (no more deployments, flagged, audited; always part
 *     of it), {@code rollback} (to the last-known-good version), {@code
 *     reinstall=<package>@<version>} (a named known-good package)
 * @param updatedBy who set it; ignored in a request, the server takes the caller
 * @param updatedAt when it was set (ISO-8601 UTC); ignored in a request
 */
public record AttestationPolicy(String neType, List<String> actions, String updatedBy,
    String updatedAt) {}
