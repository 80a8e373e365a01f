package org.neguard.api.attest;

/**
 * A device's standing with the validation entity ({@code GET /api/attestation/devices}).
 *
 * @param deviceId the device
 * @param neType its NE type
 * @param trustState {@code unknown}, {@code trusted}, {@code untrusted}, {@code quarantined} or
 *     {@code disabled}
 * @param trustReason why it is in that state
 * @param attestedAt its last attestation that passed (ISO-8601 UTC), null if none
 * @param nextAttestationAt when the runtime schedule asks next (ISO-8601 UTC)
 * @param lastResult the result of its newest judged attestation, null if none
 * @param ekTrust how its bound TPM's endorsement key was trusted: {@code CERTIFIED} (its EK
 *     certificate chained to a configured manufacturer CA, with the EK usage 2.23.133.8.1) or
 *     {@code UNVERIFIED} (taken on the device's word); null while no TPM is bound (its evidence
 *     rests on its software key)
 */
public record DeviceTrust(String deviceId, String neType, String trustState, String trustReason,
    String attestedAt, String nextAttestationAt, String lastResult, String ekTrust) {}
