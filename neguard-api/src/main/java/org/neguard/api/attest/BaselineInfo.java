package org.neguard.api.attest;

import java.util.List;

/**
 * A platform component's baseline ({@code GET /api/baselines}): platform paths (/etc files, the
 * agent itself) have no vendor-signed RIM, so their reference is a measurement a device proposed
 * and two distinct approvers accepted (four-eyes, audited).
 *
 * @param id the baseline's id, for {@code POST /api/baselines/{id}/approve} and {@code reject}
 * @param deviceId the device whose measurement proposed it
 * @param component the platform component's name, as in the evidence's component list
 * @param digest the component's tree digest (sha256-tree-v1, lower-case hex)
 * @param files the measured files under the component, so an operator sees what is approved and
 *     a later mismatch can name the file
 * @param state {@code pending}, {@code approved}, {@code superseded} (a newer baseline of the
 *     component was approved) or {@code rejected}
 * @param proposedAt when the measurement proposed it (ISO-8601 UTC)
 * @param approvers who approved it so far, in order; two distinct ones make it approved
 */
public record BaselineInfo(String id, String deviceId, String component, String digest,
    List<String> files, String state, String proposedAt, List<String> approvers) {}
