package org.neguard.api.deploy;

import java.util.List;

/**
 * {@code POST /api/recoveries} (operator): a recovery campaign (REC-2), a deployment of kind
 * {@code recovery} of a known-good package to the devices of one NE type that are in one of
 * {@code trustStates} (quarantined by default), optionally only those of {@code deviceIds}.
 * Approved like any deployment (four-eyes; a lower security version than a device runs needs the
 * rollback acknowledgement); its targets skip the attestation before the update (ATT-1) and are
 * readmitted ({@code trusted}) only by completion evidence that matches the signed references
 * (ATT-4).
 *
 * @param neType the devices' NE type, and the package's; required
 * @param packageName the known-good package, stored on the server; required
 * @param packageVersion its version; required
 * @param trustStates which devices of the type: any of {@code quarantined}, {@code untrusted},
 *     {@code unknown}, {@code trusted}; null or empty: {@code ["quarantined"]}
 * @param deviceIds only these devices (each must be of the type and in one of the states); null
 *     for all that match
 * @param waveSize the concurrency limit: devices per wave, the next wave starting once every
 *     device of the previous one has finished (null: 10)
 * @param expiresAt ISO-8601 instant after which the campaign ends as {@code expired}; null: 7 days
 */
public record RecoveryRequest(String neType, String packageName, String packageVersion,
    List<String> trustStates, List<String> deviceIds, Integer waveSize, String expiresAt) {}
