package org.neguard.api.deploy;

import java.util.List;
import org.neguard.api.problem.ProblemReason;

/**
 * One device of a deployment ({@code GET /api/deployments/{id}/targets}).
 *
 * @param state {@code waiting}, {@code issued}, {@code downloading}, {@code installing},
 *     {@code succeeded}, {@code failed}, {@code refused} or {@code cancelled}
 * @param orderId the order issued to it, or null
 * @param reasons why it failed or was refused; empty otherwise
 * @param attestationId the attestation that passed the pre-update gate (ATT-1) before its order
 *     was issued, or null: no order, a recovery's order (no gate), or an order issued before the
 *     server recorded it
 */
public record Target(String deviceId, int wave, String state, String orderId, String issuedAt,
    String updatedAt, Integer progress, List<ProblemReason> reasons, String attestationId) {}
