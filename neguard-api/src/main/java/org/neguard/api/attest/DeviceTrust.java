package org.neguard.api.attest;

/**
 * One device's platform trust as the validation entity keeps it: a row of {@code GET
 * /api/attestation/devices} ({@code neguard attest status}).
 *
 * @param deviceId the device
 * @param neType its NE type, which selects the failure policy ({@link AttestationPolicy})
 * @param trustState {@code unknown} (enrolled, not yet attested good), {@code trusted},
 *     {@code untrusted} (first contact failed), {@code quarantined} (a failure after it was
 *     trusted: only recovery deployments reach it) or {@code disabled}
 * @param trustReason why it is in that state (reason codes and the component and file named), or
 *     empty
 * @param attestedAt the last attestation that passed (ISO-8601 UTC), or null if none did
 * @param nextAttestationAt when the runtime schedule (OBJ-2) asks next (ISO-8601 UTC), or null
 * @param lastResult the result of the device's newest judged attestation ({@code PASS},
 *     {@code FAIL}, {@code PENDING_BASELINE}, {@code NO_REFERENCE}, {@code EXPIRED}), or null
 */
public record DeviceTrust(String deviceId, String neType, String trustState, String trustReason,
    String attestedAt, String nextAttestationAt, String lastResult) {}
