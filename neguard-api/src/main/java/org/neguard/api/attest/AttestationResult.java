package org.neguard.api.attest;

import java.util.List;
import org.neguard.api.problem.ProblemReason;

/**
 * One attestation as judged by the validation entity: the answer to {@code POST
 * /api/device/v1/evidence}, and a row of {@code GET /api/attestations}.
 *
 * @param id the attestation's id
 * @param deviceId the device
 * @param reason why it was asked ({@code FIRST_CONTACT}, {@code SCHEDULED}, {@code REQUESTED},
 *     {@code BEFORE_UPDATE}, {@code AFTER_UPDATE}, {@code READMISSION})
 * @param result {@code PASS}; {@code FAIL} (evidence refused, or measurements not the
 *     reference); {@code PENDING_BASELINE} (verified, but a platform component has no approved
 *     baseline yet); {@code NO_REFERENCE} (software without a vendor-signed RIM)
 * @param trustBase {@code SOFTWARE_KEY} or {@code TPM}, as verified; null when not verified
 * @param tim the platform TIM the evidence carried, when it was verified
 * @param trustState the device's trust state after this attestation
 * @param requestedAt when the nonce was issued (ISO-8601 UTC)
 * @param judgedAt when the evidence was judged (ISO-8601 UTC), null while it is awaited
 * @param reasons why it did not pass: reason codes and messages naming component and file
 */
public record AttestationResult(String id, String deviceId, String reason, String result,
    String trustBase, String tim, String trustState, String requestedAt, String judgedAt,
    List<ProblemReason> reasons) {}
