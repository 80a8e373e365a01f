package org.neguard.api.attest;

import java.util.List;

/**
 * A platform component's baseline (docs/ATTESTATION.md, "Platform baselines"): proposed by a
 * device's measurement, approved by distinct approvers (four-eyes).
 *
 * @param id the baseline's id
 * @param deviceId the device whose component it is
 * @param component the component's name ({@code platform:<label>})
 * @param digest its tree digest
 * @param files how many files it was measured with
 * @param state {@code pending}, {@code approved}, {@code superseded} or {@code rejected}
 * @param proposedAt when the measurement proposed it (ISO-8601 UTC)
 * @param approvers who approved it so far
 */
public record BaselineInfo(String id, String deviceId, String component, String digest,
    int files, String state, String proposedAt, List<String> approvers) {}
