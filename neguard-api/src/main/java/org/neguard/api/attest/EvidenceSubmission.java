package org.neguard.api.attest;

/**
 * {@code POST /api/device/v1/evidence}: the device's answer to a challenge.
 *
 * @param evidence compact JWS (docs/MEASUREMENT.md, "Evidence") over the challenge's nonce
 */
public record EvidenceSubmission(String evidence) {}
