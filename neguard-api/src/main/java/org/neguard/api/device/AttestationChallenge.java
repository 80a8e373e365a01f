package org.neguard.api.device;

/**
 * The validation entity asks the device for evidence (docs/ATTESTATION.md): measure now, sign the
 * measurement over {@code nonce}, post it to {@code /api/device/v1/evidence}.
 *
 * @param nonce 16 to 64 bytes as lower-case hex; valid once, until {@code expiresAt}
 * @param reason why: {@code FIRST_CONTACT}, {@code SCHEDULED}, {@code REQUESTED} (an operator),
 *     {@code BEFORE_UPDATE} (ATT-1) or {@code READMISSION}
 * @param expiresAt ISO-8601 UTC; evidence over the nonce after this is refused
 */
public record AttestationChallenge(String nonce, String reason, String expiresAt) {}
